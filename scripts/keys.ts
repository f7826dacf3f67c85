/**
 * npm run keys -- list [--json] | rotate | retire <kid> | rotate-pseudonyms
 *
 * The local signing-key ring (src/lambda/identity/keys/local-ring.ts): `rotate` makes a new P-256 key current (new
 * tokens carry its kid), older keys keep verifying until `retire`d; a retired key's tokens are
 * refused and it leaves /.well-known/jwks.json. A running gateway follows within seconds.
 * `rotate-pseudonyms` replaces the secret personal values' pseudonyms are keyed with
 * (docs/privacy.md): every pseudonym changes, on a running gateway within
 * LAKEGATE_PSEUDONYM_SECRET_TTL_MS.
 * On AWS the signing keys are KMS keys and the pseudonym secret an SSM parameter: docs/aws.md.
 */
import { writeNewSecret } from '../src/lambda/identity/keys/key-files.ts';
import { keysDir } from '../src/lambda/config.ts';
import { KeyRingError, readKeyRing, retireKey, rotateKey } from '../src/lambda/identity/keys/local-ring.ts';

const USAGE = 'usage: npm run keys -- list [--json] | rotate | retire <kid> | rotate-pseudonyms';
const [command, ...args] = process.argv.slice(2);
const dir = keysDir();

try {
  if (command === undefined || command === 'list') {
    const json = args.length === 1 && args[0] === '--json';
    if (args.length > (json ? 1 : 0)) throw new KeyRingError('list takes only --json');
    const ring = readKeyRing(dir);
    const rows = ring.keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.kid === ring.current ? 'current' : k.status, created: k.created, ...(k.retired ? { retired: k.retired } : {}) }));
    if (json) console.log(JSON.stringify(rows));
    else for (const r of rows) console.log(`${r.kid}  ${r.alg}  ${r.status.padEnd(7)}  created ${r.created}${r.retired ? `  retired ${r.retired}` : ''}`);
  } else if (command === 'rotate' && args.length === 0) {
    const key = rotateKey(dir);
    console.log(`new current key ${key.kid}: new tokens carry this kid; older keys verify until retired`);
  } else if (command === 'rotate-pseudonyms' && args.length === 0) {
    writeNewSecret(dir, 'pseudonymSecret');
    console.log('new pseudonym secret: every pseudonym changes (a running gateway follows within LAKEGATE_PSEUDONYM_SECRET_TTL_MS)');
  } else if (command === 'retire' && args.length === 1) {
    const key = retireKey(dir, args[0]!);
    console.log(`retired ${key.kid}: its tokens are refused and it leaves the JWKS`);
  } else {
    throw new KeyRingError(`unknown command: ${[command, ...args].join(' ')}`);
  }
} catch (e) {
  if (e instanceof KeyRingError) {
    console.error(`keys: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  throw e;
}
