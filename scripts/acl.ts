/**
 * npm run acl -- list | add <client> | grant <client> <query…|*> | revoke <client> <query…|*>
 *              | disable <client> | enable <client> | scope <client> own|all | max-days <client> N
 *              | pii <client> masked|pseudonymized|clear
 *
 * Edits the local lake's access-control table. A bad command changes nothing; a good one
 * replaces the file atomically. The authorizer sees the change within its table TTL.
 */
import { AccessTableError, grantedQueries, parseAccessTable, piiOfRule, planOfRule, serializeAccessTable } from '../src/lambda/access/model.ts';
import { applyCommand, parseCommand } from '../src/ops/acl-edit.ts';
import { ConcurrentEdit, replaceAtomically } from '../src/shared/atomic-file.ts';
import { FileStore } from '../src/shared/versioned-store.ts';
import { catalog } from '../src/lambda/catalog.ts';
import { lakeDir } from '../src/lambda/config.ts';
import { accessControlKey } from '../src/lambda/lake/layout.ts';
import { PLAN_USAGE, plansCommand, syncCommand } from './acl-plans.ts';
import { SECRET_COMMANDS, SECRET_USAGE, secretsCommand } from './acl-secrets.ts';

const USAGE = `usage: npm run acl -- list | add <client> | grant <client> <query…|*> | revoke <client> <query…|*>
                     | disable <client> | enable <client> | scope <client> own|all | max-days <client> <days>
                     | pii <client> masked|pseudonymized|clear (clear with scope all: add --clear-for-all-clients)
                     | token-ttl <client> <seconds>|default | idp <client> <provider client id>|none
                     ${PLAN_USAGE}
                     ${SECRET_USAGE}`;

const file = `${lakeDir()}/${accessControlKey}`;
const names = [...catalog().keys()];
const words = process.argv.slice(2);

try {
  if (words[0] === 'plans') {
    plansCommand(words.slice(1));
    process.exit(0);
  }
  const read = await new FileStore(file).read().catch((e: NodeJS.ErrnoException) => {
    throw new AccessTableError(e.code === 'ENOENT' ? `no access table at ${file}: run npm run fake-data first` : e.message);
  });
  if (!read.changed) throw new Error('unreachable');
  const table = parseAccessTable(read.body);
  if (SECRET_COMMANDS.includes(words[0]!)) {
    await secretsCommand(words, table);
    process.exit(0);
  }
  if (words.length === 0 || words[0] === 'list') {
    if (words.length > 1) throw new AccessTableError('list takes no arguments');
    console.log(`${'client'.padStart(6)}  enabled  scope  max_days  plan      pii            queries`);
    for (const r of table.values()) {
      const granted = r.allowed_queries.includes('*') ? '* (all)' : grantedQueries(r, names).join(', ') || '(none)';
      console.log(`${String(r.client_id).padStart(6)}  ${String(r.enabled).padEnd(7)}  ${r.row_scope.padEnd(5)}  ${String(r.max_range_days).padStart(8)}  ${planOfRule(r).padEnd(8)}  ${piiOfRule(r).padEnd(13)}  ${granted}${r.note ? `  # ${r.note}` : ''}`);
    }
  } else if (words[0] === 'sync') {
    await syncCommand(words.slice(1), table);
  } else {
    const cmd = parseCommand(words);
    const rules = applyCommand(table, cmd, names);
    await replaceAtomically(file, serializeAccessTable(rules), read.version);
    const rule = rules.find((r) => r.client_id === cmd.client)!;
    console.log(`client ${rule.client_id}: ${rule.enabled ? 'enabled' : 'DISABLED'}, scope ${rule.row_scope}, max ${rule.max_range_days} days, plan ${planOfRule(rule)}, pii ${piiOfRule(rule)}, queries: ${grantedQueries(rule, names).join(', ') || '(none)'}`);
  }
} catch (e) {
  if (e instanceof AccessTableError || e instanceof ConcurrentEdit) {
    console.error(`acl: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  throw e;
}
