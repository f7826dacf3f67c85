/**
 * npm run acl -- secret <client> | secrets <client> [--json] | revoke-secret <client> <id>
 *
 * Client secrets for POST /oauth/token (docs/design.md §9), in the local credentials store (hashes
 * only, never the access table). `secret` prints the new secret once, alone on the last line
 * of stdout; nothing else ever shows it again.
 */
import { createExclusively, replaceAtomically } from '../src/shared/atomic-file.ts';
import { AccessTableError, type AccessTable } from '../src/lambda/access/model.ts';
import { FileStore } from '../src/shared/versioned-store.ts';
import { oauthConfig } from '../src/lambda/config.ts';
import { CredentialsError, newSecret, parseSecrets, serializeSecrets, type StoredSecret } from '../src/lambda/identity/oauth/secrets.ts';
import { CLIENT_ID } from '../src/lambda/ids.ts';

export const SECRET_USAGE = '| secret <client> | secrets <client> [--json] | revoke-secret <client> <id>';
export const SECRET_COMMANDS = ['secret', 'secrets', 'revoke-secret'];

/** The store's secrets and the version they were read at (null: no store yet). */
async function readStore(file: string): Promise<{ secrets: StoredSecret[]; version: string | null }> {
  const read = await new FileStore(file).read().catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (read === null) return { secrets: [], version: null };
  if (!read.changed) throw new Error('unreachable');
  try {
    return { secrets: parseSecrets(read.body), version: read.version };
  } catch (e) {
    if (e instanceof CredentialsError) throw new AccessTableError(`credentials store ${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Replace the store unless another edit changed it since it was read (then nothing is written
 * and the command says so); owner-only file: it holds hashes, but nobody else needs them.
 */
async function writeStore(file: string, secrets: readonly StoredSecret[], version: string | null): Promise<void> {
  const body = serializeSecrets(secrets);
  if (version !== null) return replaceAtomically(file, body, version, 0o600);
  await createExclusively(file, body);
}

export async function secretsCommand(words: readonly string[], table: AccessTable): Promise<void> {
  const [command, client, ...rest] = words;
  if (client === undefined || !CLIENT_ID.test(client)) throw new AccessTableError(`${command} needs a client id`);
  const clientId = Number(client);
  if (!table.has(clientId)) throw new AccessTableError(`client ${clientId} has no access rule: npm run acl -- add ${clientId} first`);
  const file = oauthConfig().credentialsFile;
  const { secrets, version } = await readStore(file);
  const own = secrets.filter((s) => s.client_id === clientId);
  if (command === 'secret' && rest.length === 0) {
    const { secret, stored } = newSecret(clientId);
    await writeStore(file, [...secrets, stored], version);
    console.log(`client ${clientId}: new secret ${stored.id} (${own.length + 1} active). Shown once; store it now:`);
    console.log(secret);
  } else if (command === 'secrets' && (rest.length === 0 || (rest.length === 1 && rest[0] === '--json'))) {
    const rows = own.map((s) => ({ id: s.id, created: s.created }));
    if (rest[0] === '--json') console.log(JSON.stringify(rows));
    else if (rows.length === 0) console.log(`client ${clientId} has no secret (npm run acl -- secret ${clientId})`);
    else for (const r of rows) console.log(`${r.id}  created ${r.created}`);
  } else if (command === 'revoke-secret' && rest.length === 1) {
    if (!own.some((s) => s.id === rest[0])) throw new AccessTableError(`client ${clientId} has no secret ${rest[0]} (npm run acl -- secrets ${clientId})`);
    await writeStore(file, secrets.filter((s) => s.id !== rest[0]), version);
    console.log(`client ${clientId}: secret ${rest[0]} revoked (${own.length - 1} left); tokens already issued stay valid until they expire`);
  } else {
    throw new AccessTableError(`bad ${command} command`);
  }
}
