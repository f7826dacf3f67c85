/**
 * Request parameters → validated, typed values (docs/design.md §4). Pure: no I/O, so every rule is
 * tested by tables of cases. Anything not exactly right is a 400 that says what is wrong;
 * nothing from the request reaches an engine except through these typed values.
 */
import type { NamedQuery } from '../catalog.ts';
import { DEFAULT_PII_MODE, isPiiMode, type PiiMode } from '../privacy/modes.ts';
import type { QueryParams } from '../engine/types.ts';
import { BadRequest } from '../errors.ts';
import { CLIENT_ID } from '../ids.ts';
import { DAY_MS } from '../../shared/time.ts';

/** Who is asking, from the authorizer's context only (never from the request). */
export interface ClientScope {
  readonly clientId: number;
  readonly allClients: boolean;
  readonly maxRangeDays: number;
  /** How the client sees personal data (docs/privacy.md). */
  readonly pii: PiiMode;
}

export interface ParsedRequest {
  readonly params: QueryParams;
  /** Page size, for paginated queries. */
  readonly page?: { readonly size: number };
  /** The client's nextToken: the next page, or the result of a query answered 202 earlier. */
  readonly nextToken?: string;
  /** The parameters as the response echoes them back (normalised). */
  readonly normalized: Readonly<Record<string, string | number>>;
}

/** Instants outside [1970, 2100) are refused: no data exists there and they only invite overflow. */
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);
const MAX_VALUE_LENGTH = 64;
const MAX_TOKEN_LENGTH = 2048;

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Shown in messages: short, printable, quoted — never the raw (possibly huge or binary) input. */
export function describeValue(value: string): string {
  const printable = [...value].slice(0, 40).map((ch) => (/[\p{L}\p{N}\p{P}\p{S} ]/u.test(ch) ? ch : '�')).join('');
  return JSON.stringify(value.length > 40 ? `${printable}…` : printable);
}

/** `YYYY-MM-DD` (00:00 UTC) or ISO-8601 date-time with `Z` or an offset, up to milliseconds. */
export function parseInstant(name: string, value: string): Date {
  const bad = (why: string): never => {
    throw new BadRequest(`${name} ${why}; use YYYY-MM-DD or an ISO-8601 date-time with Z or an offset (got ${describeValue(value)})`);
  };
  if (value.length > MAX_VALUE_LENGTH) bad('is too long');
  const d = DATE_ONLY.exec(value);
  const t = d ? undefined : DATE_TIME.exec(value);
  const m = d ?? t ?? bad('is not a date');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second, ms] = t ? [Number(t[4]), Number(t[5]), Number(t[6] ?? 0), Number((t[7] ?? '0').padEnd(3, '0'))] : [0, 0, 0, 0];
  if (month < 1 || month > 12) bad('has no such month');
  if (day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) bad('has no such day');
  if (hour > 23 || minute > 59 || second > 59) bad('has no such time of day');
  let offsetMin = 0;
  if (t?.[9]) {
    const [oh, om] = [Number(t[10]), Number(t[11])];
    if (oh > 14 || om > 59) bad('has an impossible UTC offset');
    offsetMin = (t[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  if (epoch < MIN_MS || epoch >= MAX_MS) bad('is outside the supported years 1970–2099');
  return new Date(epoch);
}

function parseCount(name: string, value: string, max: number): number {
  if (!/^[1-9]\d{0,5}$/.test(value) || Number(value) > max) {
    throw new BadRequest(`${name} must be a whole number from 1 to ${max} (got ${describeValue(value)})`);
  }
  return Number(value);
}

/** The one value of each parameter; repeated, empty or unknown parameters are refused. */
function singleValues(query: NamedQuery, multi: Record<string, string[] | undefined>): Map<string, string> {
  // Every query takes nextToken: after a 202 (query still running) it fetches the result.
  const allowed = ['from', 'to', ...(query.limit || query.page ? ['limit'] : []), 'nextToken'];
  const values = new Map<string, string>();
  for (const [name, list] of Object.entries(multi)) {
    if (!allowed.includes(name)) {
      throw new BadRequest(`unknown parameter ${describeValue(name)}; ${query.name} takes ${allowed.join(', ')}`);
    }
    if (!list || list.length !== 1) throw new BadRequest(`parameter ${name} must be given once`);
    if (list[0] === '') throw new BadRequest(`parameter ${name} is empty`);
    values.set(name, list[0]!);
  }
  return values;
}

export function parseRequest(query: NamedQuery, multi: Record<string, string[] | undefined>, scope: ClientScope): ParsedRequest {
  const values = singleValues(query, multi);
  for (const required of ['from', 'to']) if (!values.has(required)) throw new BadRequest(`parameter ${required} is required`);
  const from = parseInstant('from', values.get('from')!);
  const to = parseInstant('to', values.get('to')!);
  if (from.getTime() >= to.getTime()) throw new BadRequest('from must be earlier than to (the range is [from, to))');
  const spanDays = (to.getTime() - from.getTime()) / DAY_MS;
  if (spanDays > scope.maxRangeDays) {
    throw new BadRequest(`the range spans ${Math.ceil(spanDays)} days; at most ${scope.maxRangeDays} are allowed for this client`);
  }

  const normalized: Record<string, string | number> = { from: from.toISOString(), to: to.toISOString() };
  const params: { -readonly [K in keyof QueryParams]: QueryParams[K] } = {
    from, to, client_id: scope.clientId, all_clients: scope.allClients,
  };
  if (query.limit) {
    params.limit = values.has('limit') ? parseCount('limit', values.get('limit')!, query.limit.max) : query.limit.default;
    normalized.limit = params.limit;
  }
  const nextToken = values.get('nextToken');
  if (nextToken !== undefined && (nextToken.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_.-]+$/.test(nextToken))) {
    throw new BadRequest('nextToken is not a token this API issued');
  }
  const withToken = nextToken !== undefined ? { nextToken } : {};
  if (!query.page) return { params, normalized, ...withToken };

  const size = values.has('limit') ? parseCount('limit', values.get('limit')!, query.page.max) : query.page.default;
  normalized.limit = size;
  return { params, page: { size }, normalized, ...withToken };
}

/** The scope from the authorizer's context (strings, as API Gateway passes them). Refuses anything else. */
export function readScope(context: Record<string, unknown> | null | undefined): ClientScope | undefined {
  if (!context) return undefined;
  const { clientId, rowScope, maxRangeDays, pii } = context;
  const id = typeof clientId === 'string' && CLIENT_ID.test(clientId) ? Number(clientId) : undefined;
  const days = typeof maxRangeDays === 'number' ? maxRangeDays : typeof maxRangeDays === 'string' && /^[1-9]\d{0,3}$/.test(maxRangeDays) ? Number(maxRangeDays) : undefined;
  if (id === undefined || (rowScope !== 'own' && rowScope !== 'all') || days === undefined || !Number.isInteger(days) || days < 1) return undefined;
  // No mode (an authorizer from before modes existed): masked. A mode this code does not know: refused.
  if (pii !== undefined && !isPiiMode(pii)) return undefined;
  return { clientId: id, allClients: rowScope === 'all', maxRangeDays: days, pii: pii ?? DEFAULT_PII_MODE };
}
