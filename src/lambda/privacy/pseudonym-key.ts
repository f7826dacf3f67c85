/**
 * The key personal values' pseudonyms are made with (docs/privacy.md). The deployment's secret
 * (256 random bits: `.keys/pseudonym.key` locally, an SSM SecureString on AWS) never goes into
 * SQL: the engines get a key derived from it for this one purpose, HMAC-SHA256(secret,
 * "lakegate pseudonyms v1"), bound as a parameter value. Rotating the secret changes every
 * pseudonym.
 */
import { createHmac } from 'node:crypto';
import { keysDir, pseudonymConfig } from '../config.ts';
import { readKeyFile } from '../identity/keys/key-files.ts';

const PURPOSE = 'lakegate pseudonyms v1';
/** SHA-256's block size: HMAC pads its key to it. */
const BLOCK = 64;

export class PseudonymKey {
  /** The HMAC key the engines use (32 bytes). */
  readonly key: Buffer;
  private readonly padded: { readonly inner: Buffer; readonly outer: Buffer };

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new Error('the pseudonym secret must be at least 32 bytes');
    this.key = createHmac('sha256', secret).update(PURPOSE).digest();
    const block = Buffer.alloc(BLOCK);
    this.key.copy(block);
    this.padded = { inner: Buffer.from(block.map((b) => b ^ 0x36)), outer: Buffer.from(block.map((b) => b ^ 0x5c)) };
  }

  /** The key from its stored text (base64, surrounding white space ignored). */
  static fromText(text: string): PseudonymKey {
    return new PseudonymKey(Buffer.from(text.trim(), 'base64'));
  }

  /** HMAC's inner and outer key blocks (RFC 2104), for an engine that spells HMAC out with SHA-256 (made once per key). */
  blocks(): { inner: Buffer; outer: Buffer } {
    return { ...this.padded };
  }
}

let current: { key: PseudonymKey; text: string; readAt: number } | undefined;

async function readSecret(): Promise<string> {
  const cfg = pseudonymConfig();
  if (cfg.secret) return cfg.secret;
  if (cfg.secretParameter) return (await import('../../shared/ssm.ts')).readParameter(cfg.secretParameter);
  return readKeyFile(keysDir(), 'pseudonymSecret');
}

/**
 * The current key, re-read once its TTL has passed (LAKEGATE_PSEUDONYM_SECRET_TTL_MS). A secret
 * that cannot be read fails the request (never a weaker pseudonym); a short one is refused.
 */
export async function pseudonymKey(now = Date.now()): Promise<PseudonymKey> {
  if (current && now - current.readAt < pseudonymConfig().ttlMs) return current.key;
  const text = (await readSecret()).trim();
  const key = current?.text === text ? current.key : PseudonymKey.fromText(text);
  current = { key, text, readAt: now };
  return key;
}
