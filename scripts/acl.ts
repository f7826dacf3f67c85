/**
 * npm run acl -- list | add <client> | grant <client> <query…|*> | revoke <client> <query…|*>
 *              | disable <client> | enable <client> | scope <client> own|all | max-days <client> N
 *
 * Edits the local lake's access-control table. A bad command changes nothing; a good one
 * replaces the file atomically. The authorizer sees the change within its table TTL.
 */
import { AccessTableError, grantedQueries, parseAccessTable, serializeAccessTable } from '../src/acl/model.ts';
import { applyCommand, parseCommand } from '../src/acl/edit.ts';
import { ConcurrentEdit, replaceAtomically } from '../src/acl/file.ts';
import { FileAclStore } from '../src/acl/store.ts';
import { catalog } from '../src/catalog.ts';
import { lakeDir } from '../src/config.ts';
import { accessControlKey } from '../src/lake/layout.ts';

const USAGE = `usage: npm run acl -- list | add <client> | grant <client> <query…|*> | revoke <client> <query…|*>
                     | disable <client> | enable <client> | scope <client> own|all | max-days <client> <days>`;

const file = `${lakeDir()}/${accessControlKey}`;
const names = [...catalog().keys()];
const words = process.argv.slice(2);

try {
  const read = await new FileAclStore(file).read().catch((e: NodeJS.ErrnoException) => {
    throw new AccessTableError(e.code === 'ENOENT' ? `no access table at ${file}: run npm run fake-data first` : e.message);
  });
  if (!read.changed) throw new Error('unreachable');
  const table = parseAccessTable(read.body);
  if (words.length === 0 || words[0] === 'list') {
    if (words.length > 1) throw new AccessTableError('list takes no arguments');
    console.log(`${'client'.padStart(6)}  enabled  scope  max_days  queries`);
    for (const r of table.values()) {
      const granted = r.allowed_queries.includes('*') ? '* (all)' : grantedQueries(r, names).join(', ') || '(none)';
      console.log(`${String(r.client_id).padStart(6)}  ${String(r.enabled).padEnd(7)}  ${r.row_scope.padEnd(5)}  ${String(r.max_range_days).padStart(8)}  ${granted}${r.note ? `  # ${r.note}` : ''}`);
    }
  } else {
    const cmd = parseCommand(words);
    const rules = applyCommand(table, cmd, names);
    await replaceAtomically(file, serializeAccessTable(rules), read.version);
    const rule = rules.find((r) => r.client_id === cmd.client)!;
    console.log(`client ${rule.client_id}: ${rule.enabled ? 'enabled' : 'DISABLED'}, scope ${rule.row_scope}, max ${rule.max_range_days} days, queries: ${grantedQueries(rule, names).join(', ') || '(none)'}`);
  }
} catch (e) {
  if (e instanceof AccessTableError || e instanceof ConcurrentEdit) {
    console.error(`acl: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  throw e;
}
