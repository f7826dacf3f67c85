/**
 * npm run acl -- secret <client> | secrets <client> [--json] | revoke-secret <client> <id>
 *
 * Client secrets for POST /oauth/token (DESIGN §9), in the local credentials store (hashes
 * only, never the access table). `secret` prints the new secret once, alone on the last line
 * of stdout; nothing else ever shows it again.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { AccessTableError, type AccessTable } from '../src/acl/model.ts';
import { oauthConfig } from '../src/config.ts';
import { CredentialsError, newSecret, parseSecrets, serializeSecrets, type StoredSecret } from '../src/credentials/secrets.ts';
import { CLIENT_ID } from '../src/ids.ts';

export const SECRET_USAGE = '| secret <client> | secrets <client> [--json] | revoke-secret <client> <id>';
export const SECRET_COMMANDS = ['secret', 'secrets', 'revoke-secret'];

async function readStore(file: string): Promise<StoredSecret[]> {
  if (!existsSync(file)) return [];
  try {
    return parseSecrets(await readFile(file, 'utf8'));
  } catch (e) {
    if (e instanceof CredentialsError) throw new AccessTableError(`credentials store ${file}: ${e.message}`);
    throw e;
  }
}

/** Replace the store atomically (owner-only file: it holds hashes, but nobody else needs them). */
async function writeStore(file: string, secrets: readonly StoredSecret[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(serializeSecrets(secrets));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file).catch(async (e) => {
    await rm(tmp, { force: true });
    throw e;
  });
}

export async function secretsCommand(words: readonly string[], table: AccessTable): Promise<void> {
  const [command, client, ...rest] = words;
  if (client === undefined || !CLIENT_ID.test(client)) throw new AccessTableError(`${command} needs a client id`);
  const clientId = Number(client);
  if (!table.has(clientId)) throw new AccessTableError(`client ${clientId} has no access rule: npm run acl -- add ${clientId} first`);
  const file = oauthConfig().credentialsFile;
  const secrets = await readStore(file);
  const own = secrets.filter((s) => s.client_id === clientId);
  if (command === 'secret' && rest.length === 0) {
    const { secret, stored } = newSecret(clientId);
    await writeStore(file, [...secrets, stored]);
    console.log(`client ${clientId}: new secret ${stored.id} (${own.length + 1} active). Shown once; store it now:`);
    console.log(secret);
  } else if (command === 'secrets' && (rest.length === 0 || (rest.length === 1 && rest[0] === '--json'))) {
    const rows = own.map((s) => ({ id: s.id, created: s.created }));
    if (rest[0] === '--json') console.log(JSON.stringify(rows));
    else if (rows.length === 0) console.log(`client ${clientId} has no secret (npm run acl -- secret ${clientId})`);
    else for (const r of rows) console.log(`${r.id}  created ${r.created}`);
  } else if (command === 'revoke-secret' && rest.length === 1) {
    if (!own.some((s) => s.id === rest[0])) throw new AccessTableError(`client ${clientId} has no secret ${rest[0]} (npm run acl -- secrets ${clientId})`);
    await writeStore(file, secrets.filter((s) => s.id !== rest[0]));
    console.log(`client ${clientId}: secret ${rest[0]} revoked (${own.length - 1} left); tokens already issued stay valid until they expire`);
  } else {
    throw new AccessTableError(`bad ${command} command`);
  }
}
