/**
 * Edits of the access table as pure functions: (table, command) → new table, or an error that
 * changes nothing. The CLI (scripts/acl.ts) validates, applies and writes atomically.
 */
import { CLIENT_ID } from '../lambda/ids.ts';
import { PLAN_NAME } from '../lambda/limits/plans.ts';
import { AccessTableError, piiOfRule, validateRule, type AccessRule, type AccessTable, type RowScope } from '../lambda/access/model.ts';
import { isPiiMode, PII_MODES, type PiiMode } from '../lambda/privacy/modes.ts';

/**
 * The explicit step that lets a client see every client's recipients in clear (row scope `all`
 * and privacy `clear` together): the flag `acl pii` and `acl scope` need for that combination.
 */
export const CLEAR_FOR_ALL_CLIENTS = '--clear-for-all-clients';

export type AclCommand =
  | { op: 'add'; client: number }
  | { op: 'grant' | 'revoke'; client: number; queries: string[] }
  | { op: 'disable' | 'enable'; client: number }
  | { op: 'scope'; client: number; scope: RowScope; confirmed: boolean }
  | { op: 'pii'; client: number; mode: PiiMode; confirmed: boolean }
  | { op: 'max-days'; client: number; days: number }
  | { op: 'plan'; client: number; plan: string }
  | { op: 'token-ttl'; client: number; seconds: number | undefined }
  | { op: 'idp'; client: number; idpClientId: string | undefined };

export function applyCommand(table: AccessTable, cmd: AclCommand, catalogNames: readonly string[]): AccessRule[] {
  const rules = new Map(table);
  const existing = rules.get(cmd.client);
  if (cmd.op === 'add') {
    if (existing) throw new AccessTableError(`client ${cmd.client} is already in the access table`);
    rules.set(cmd.client, validateRule({ client_id: cmd.client, enabled: true, allowed_queries: [], row_scope: 'own', max_range_days: 366 }));
    return [...rules.values()];
  }
  if (!existing) throw new AccessTableError(`client ${cmd.client} is not in the access table (add it first: acl add ${cmd.client})`);
  let next: AccessRule;
  switch (cmd.op) {
    case 'grant':
    case 'revoke': {
      const unknown = cmd.queries.filter((q) => q !== '*' && !catalogNames.includes(q));
      if (unknown.length) throw new AccessTableError(`unknown quer${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`);
      if (cmd.queries.length === 0) throw new AccessTableError(`${cmd.op} needs at least one query name (or '*')`);
      const current = existing.allowed_queries.includes('*') ? [...catalogNames] : [...existing.allowed_queries];
      let allowed: string[];
      if (cmd.op === 'grant') allowed = cmd.queries.includes('*') ? ['*'] : [...new Set([...existing.allowed_queries, ...cmd.queries])];
      else allowed = cmd.queries.includes('*') ? [] : current.filter((q) => !cmd.queries.includes(q));
      next = { ...existing, allowed_queries: allowed };
      break;
    }
    case 'disable':
    case 'enable':
      next = { ...existing, enabled: cmd.op === 'enable' };
      break;
    case 'scope':
      next = { ...existing, row_scope: cmd.scope };
      break;
    case 'pii':
      next = { ...existing, pii: cmd.mode };
      break;
    case 'max-days':
      next = { ...existing, max_range_days: cmd.days };
      break;
    case 'plan':
      next = { ...existing, plan: cmd.plan }; // validateRule refuses a plan not in plans.json
      break;
    case 'token-ttl': {
      const { token_ttl_seconds: _, ...rest } = existing;
      next = cmd.seconds === undefined ? rest : { ...rest, token_ttl_seconds: cmd.seconds };
      break;
    }
    case 'idp': {
      const taken = [...rules.values()].find((r) => r.client_id !== cmd.client && cmd.idpClientId !== undefined && r.idp_client_id === cmd.idpClientId);
      if (taken) throw new AccessTableError(`${cmd.idpClientId} is already mapped to client ${taken.client_id}`);
      const { idp_client_id: _, ...rest } = existing;
      next = cmd.idpClientId === undefined ? rest : { ...rest, idp_client_id: cmd.idpClientId };
      break;
    }
  }
  // Every client's rows in clear is never one careless command away.
  const confirmed = (cmd.op === 'pii' || cmd.op === 'scope') && cmd.confirmed;
  if (next.row_scope === 'all' && piiOfRule(next) === 'clear' && !(existing.row_scope === 'all' && piiOfRule(existing) === 'clear') && !confirmed) {
    throw new AccessTableError(`client ${cmd.client} would see every client's recipients in clear (row scope all, pii clear): repeat with ${CLEAR_FOR_ALL_CLIENTS} if that is intended`);
  }
  rules.set(cmd.client, validateRule(next));
  return [...rules.values()];
}

/** Parse CLI words into a command; throws AccessTableError with a usage hint. */
export function parseCommand(words: readonly string[]): AclCommand {
  const [op, clientText, ...rest] = words;
  const usage = (msg: string): never => {
    throw new AccessTableError(msg);
  };
  if (!op) usage('missing command');
  if (!clientText || !CLIENT_ID.test(clientText)) usage(`${op} needs a client id (a whole number)`);
  const client = Number(clientText);
  switch (op) {
    case 'add':
    case 'disable':
    case 'enable':
      if (rest.length) usage(`${op} takes only a client id`);
      return { op, client };
    case 'grant':
    case 'revoke':
      return { op, client, queries: [...rest] };
    case 'scope': {
      const [scope, ...flags] = rest;
      if ((scope !== 'own' && scope !== 'all') || !flags.every((f) => f === CLEAR_FOR_ALL_CLIENTS) || flags.length > 1) usage('scope takes own or all');
      return { op, client, scope: scope as RowScope, confirmed: flags.length === 1 };
    }
    case 'pii': {
      const [mode, ...flags] = rest;
      if (!isPiiMode(mode) || !flags.every((f) => f === CLEAR_FOR_ALL_CLIENTS) || flags.length > 1) {
        usage(`pii takes one of ${PII_MODES.join(', ')} (and ${CLEAR_FOR_ALL_CLIENTS} for clear with row scope all)`);
      }
      return { op, client, mode: mode as PiiMode, confirmed: flags.length === 1 };
    }
    case 'max-days':
      if (rest.length !== 1 || !/^[1-9]\d{0,3}$/.test(rest[0]!)) usage('max-days takes a whole number of days');
      return { op, client, days: Number(rest[0]) };
    case 'plan':
      if (rest.length !== 1 || !PLAN_NAME.test(rest[0]!)) usage('plan takes one plan name (npm run acl -- plans)');
      return { op, client, plan: rest[0]! };
    case 'token-ttl':
      if (rest.length !== 1 || !/^(default|[1-9]\d{1,4})$/.test(rest[0]!)) usage('token-ttl takes seconds (60–86400) or default');
      return { op, client, seconds: rest[0] === 'default' ? undefined : Number(rest[0]) };
    case 'idp':
      if (rest.length !== 1) usage("idp takes the client's id at the identity provider, or none");
      return { op, client, idpClientId: rest[0] === 'none' ? undefined : rest[0] };
    default:
      return usage(`unknown command "${op}"`);
  }
}
