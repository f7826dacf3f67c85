/**
 * npm run --silent token -- --client <id> [--ttl 1h]
 *
 * Prints a JWT for a client, signed with the local key ring's current key and carrying its kid
 * (the ring and its first key pair are created under .keys/ on first use; after `npm run keys --
 * rotate` tokens carry the new kid). Issuer and audience come from the same configuration the
 * authorizer reads. For an AWS stage with a PEM key of its own: --key <private key PEM file>.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mintLocalToken, mintToken } from '../src/lambda/identity/tokens/mint.ts';
import { authConfig, keysDir } from '../src/lambda/config.ts';
import { CLIENT_ID } from '../src/lambda/ids.ts';


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

const opts = { issuer: cfg.issuer, audience: cfg.audience, ttlSec: ttl };
const token = values.key ? mintToken(readFileSync(values.key, 'utf8'), Number(values.client), opts) : mintLocalToken(keysDir(), Number(values.client), opts);
process.stdout.write(`${token}\n`);
