/**
 * npm run --silent token -- --client <id> [--ttl 1h]
 *
 * Prints a JWT for a client, signed ES256 with the local private key (created with the key
 * pair under .keys/ on first use). Issuer and audience come from the same configuration the
 * authorizer reads. For AWS stages, sign with that stage's private key: --key <pem file>.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mintToken } from '../src/auth/mint.ts';
import { authConfig, keysDir } from '../src/config.ts';
import { CLIENT_ID } from '../src/ids.ts';
import { ensureLocalKeys, readKeyFile } from '../src/keys.ts';

const USAGE = 'usage: npm run --silent token -- --client <id> [--ttl 1h|30m|3600s|2d] [--key private.pem]';

function fail(message: string): never {
  console.error(`token: ${message}\n${USAGE}`);
  process.exit(2);
}

/** `90s`, `30m`, `1h`, `2d` (or plain seconds) → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,6})([smhd]?)$/.exec(text);
  if (!m) fail(`--ttl must look like 90s, 30m, 1h or 2d (got "${text}")`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

let values;
try {
  ({ values } = parseArgs({ options: { client: { type: 'string' }, ttl: { type: 'string' }, key: { type: 'string' } }, strict: true }));
} catch (e) {
  fail((e as Error).message);
}
if (!values.client || !CLIENT_ID.test(values.client)) fail('--client must be a client id (a whole number)');
const ttl = parseTtl(values.ttl ?? '1h');
const cfg = authConfig();
if (ttl < 1 || ttl > cfg.maxAgeSec) fail(`--ttl must be at most ${cfg.maxAgeSec} seconds (the authorizer's maximum token age)`);

const privatePem = values.key ? readFileSync(values.key, 'utf8') : readKeyFile(ensureLocalKeys(keysDir()), 'privateKey');
process.stdout.write(`${mintToken(privatePem, Number(values.client), { issuer: cfg.issuer, audience: cfg.audience, ttlSec: ttl })}\n`);
