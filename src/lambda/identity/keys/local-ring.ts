/**
 * The local signing-key ring (docs/design.md §9): every key the authorizer accepts, which one signs new
 * tokens, and which are retired. On AWS the same roles are played by KMS keys (kms-signer.ts).
 *
 * Layout, under the git-ignored keys folder:
 * - `keyring.json`: `{"current": kid, "keys": [{kid, alg, created, status, retired?, publicFile, privateFile}]}`;
 * - the PEM files it names (private ones owner-only). The first key is the historical pair
 *   `jwt-private.pem` / `jwt-public.pem`, so tokens minted before rotation existed still verify.
 *
 * `rotate` adds a P-256 key and makes it current; older keys keep verifying until `retire`
 * removes them from what the authorizer accepts and from the JWKS. The file is replaced
 * atomically, and readers re-check it every few seconds (LocalKeyRing), so a running gateway
 * follows a rotation or a retirement without a restart.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../../../shared/atomic-file.ts';
import path from 'node:path';
import { KEY_FILES, ensureLocalKeys } from './key-files.ts';
import { RingView } from './ring-view.ts';
import { keyThumbprint, publicVerificationKey, type VerificationKey } from '../tokens/verify.ts';

export const KEYRING_FILE = 'keyring.json';
const RECHECK_MIN_INTERVAL_MS = 1000;

export interface RingKey {
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256';
  readonly created: string;
  readonly status: 'active' | 'retired';
  readonly retired?: string;
  readonly publicFile: string;
  readonly privateFile: string;
}

export interface KeyRingFile {
  readonly current: string;
  readonly keys: readonly RingKey[];
}

export class KeyRingError extends Error {
  override name = 'KeyRingError';
}

const KID = /^[A-Za-z0-9_-]{16,128}$/;
const FILE = /^[A-Za-z0-9_.-]+\.pem$/;

/** Parse and check a ring: known fields, one current key that is active, unique kids, plain file names. */
export function parseKeyRing(text: string): KeyRingFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyRingError('keyring.json is not JSON');
  }
  const ring = value as KeyRingFile;
  if (typeof ring !== 'object' || ring === null || typeof ring.current !== 'string' || !Array.isArray(ring.keys)) {
    throw new KeyRingError('keyring.json must be {"current": kid, "keys": [...]}');
  }
  const seen = new Set<string>();
  for (const k of ring.keys) {
    if (typeof k.kid !== 'string' || !KID.test(k.kid) || seen.has(k.kid)) throw new KeyRingError(`bad or repeated kid ${JSON.stringify(k.kid)}`);
    seen.add(k.kid);
    if (k.alg !== 'ES256' && k.alg !== 'RS256') throw new KeyRingError(`key ${k.kid}: alg must be ES256 or RS256`);
    if (k.status !== 'active' && k.status !== 'retired') throw new KeyRingError(`key ${k.kid}: status must be active or retired`);
    if (!FILE.test(k.publicFile ?? '') || !FILE.test(k.privateFile ?? '')) throw new KeyRingError(`key ${k.kid}: key files must be plain .pem names`);
  }
  const current = ring.keys.find((k) => k.kid === ring.current);
  if (!current || current.status !== 'active') throw new KeyRingError('the current key must be an active key of the ring');
  return ring;
}

export const ringPath = (dir: string) => path.join(dir, KEYRING_FILE);

/** The ring of a keys folder, created from the historical key pair on first use. */
export function readKeyRing(dir: string): KeyRingFile {
  ensureLocalKeys(dir);
  const file = ringPath(dir);
  if (!existsSync(file)) {
    const pem = readFileSync(path.join(dir, KEY_FILES.publicKey), 'utf8');
    const { kid, algorithm } = publicVerificationKey(pem);
    const first: RingKey = {
      kid, alg: algorithm as RingKey['alg'], created: statSync(path.join(dir, KEY_FILES.publicKey)).mtime.toISOString(), status: 'active',
      publicFile: KEY_FILES.publicKey, privateFile: KEY_FILES.privateKey,
    };
    try {
      writeFileAtomicSync(file, `${JSON.stringify({ current: kid, keys: [first] }, null, 2)}\n`, 0o600);
    } catch (e) {
      if (!existsSync(file)) throw e; // another process created it first: read theirs
    }
  }
  return parseKeyRing(readFileSync(file, 'utf8'));
}

function saveKeyRing(dir: string, ring: KeyRingFile): void {
  parseKeyRing(JSON.stringify(ring));
  writeFileAtomicSync(ringPath(dir), `${JSON.stringify(ring, null, 2)}\n`, 0o600);
}

/** A new P-256 key becomes current; the others keep verifying. Returns the new kid. */
export function rotateKey(dir: string, now = new Date()): RingKey {
  const ring = readKeyRing(dir);
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = keyThumbprint(pair.publicKey);
  const key: RingKey = {
    kid, alg: 'ES256', created: now.toISOString(), status: 'active', publicFile: `key-${kid}.public.pem`, privateFile: `key-${kid}.private.pem`,
  };
  writeFileAtomicSync(path.join(dir, key.publicFile), pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 0o600);
  writeFileAtomicSync(path.join(dir, key.privateFile), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  saveKeyRing(dir, { current: kid, keys: [...ring.keys, key] });
  return key;
}

/** A retired key stops verifying and leaves the JWKS. The current key cannot be retired (rotate first). */
export function retireKey(dir: string, kid: string, now = new Date()): RingKey {
  const ring = readKeyRing(dir);
  const key = ring.keys.find((k) => k.kid === kid);
  if (!key) throw new KeyRingError(`no key ${kid} in the ring (npm run keys -- list)`);
  if (kid === ring.current) throw new KeyRingError(`${kid} is the current signing key: rotate first, then retire it`);
  if (key.status === 'retired') return key;
  const retired: RingKey = { ...key, status: 'retired', retired: now.toISOString() };
  saveKeyRing(dir, { ...ring, keys: ring.keys.map((k) => (k.kid === kid ? retired : k)) });
  return retired;
}

/** The current signing key: its private key and kid. */
export function currentSigningKey(dir: string): { kid: string; privateKey: KeyObject } {
  const ring = readKeyRing(dir);
  const key = ring.keys.find((k) => k.kid === ring.current)!;
  return { kid: key.kid, privateKey: createPrivateKey(readFileSync(path.join(dir, key.privateFile), 'utf8')) };
}

/** The public verification keys of the ring's active keys, by kid. */
export function activeVerificationKeys(dir: string, ring: KeyRingFile): Map<string, VerificationKey> {
  const keys = new Map<string, VerificationKey>();
  for (const k of ring.keys) {
    if (k.status !== 'active') continue;
    const key = publicVerificationKey(readFileSync(path.join(dir, k.publicFile), 'utf8'));
    if (key.kid !== k.kid) throw new KeyRingError(`key file ${k.publicFile} does not match kid ${k.kid}`);
    keys.set(k.kid, key);
  }
  return keys;
}

/**
 * The authorizer's and the JWKS endpoint's view of the local ring: its active public keys, in
 * memory for `ttlMs`, then re-validated with one stat of keyring.json (RingView).
 */
export class LocalKeyRing {
  private readonly view: RingView<Map<string, VerificationKey>>;

  constructor(
    readonly dir: string,
    private readonly ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.view = new RingView(ringPath(dir), () => activeVerificationKeys(dir, readKeyRing(dir)), now);
  }

  keys(): Promise<ReadonlyMap<string, VerificationKey>> {
    return this.view.get(this.ttlMs);
  }

  /**
   * The keys re-checked now unless checked in the last second: for a `kid` not (yet) known, so a
   * token signed right after a rotation verifies even before the TTL runs out. Forged kids cost
   * at most one stat per second.
   */
  recheck(): Promise<ReadonlyMap<string, VerificationKey>> {
    return this.view.get(Math.min(this.ttlMs, RECHECK_MIN_INTERVAL_MS));
  }
}
