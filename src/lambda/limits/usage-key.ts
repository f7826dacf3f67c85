/**
 * Each client's API Gateway API key value (the authorizer's `usageIdentifierKey`, which puts the
 * client's requests on its usage plan): HMAC-SHA256 of the client id under a per-stage secret.
 * The authorizer and `npm run acl -- sync` derive the same value from the same secret, so nothing
 * has to be looked up per request, and the value cannot be derived from the client id alone.
 * (API keys are for metering, not for authentication: the JWT authenticates.)
 */
import { createHmac } from 'node:crypto';
import { usageConfig } from '../config.ts';

/** Secrets shorter than this are refused: the key values would be guessable. */
const MIN_SECRET_BYTES = 32;

export class UsageKeys {
  private readonly secret: Buffer;
  constructor(secret: Buffer) {
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`the usage-key secret must be at least ${MIN_SECRET_BYTES} bytes`);
    this.secret = Buffer.from(secret);
  }

  static fromBase64(text: string): UsageKeys {
    return new UsageKeys(Buffer.from(text.trim(), 'base64'));
  }

  /** 43 base64url characters (API Gateway wants at least 20). */
  forClient(clientId: number): string {
    return createHmac('sha256', this.secret).update(`lakegate-usage-key:${clientId}`).digest('base64url');
  }
}

/** From configuration: inline (tests), the stage's SSM SecureString (AWS), or none (local: no API keys). */
export async function loadUsageKeys(): Promise<UsageKeys | null> {
  const cfg = usageConfig();
  if (cfg.usageKeySecret) return UsageKeys.fromBase64(cfg.usageKeySecret);
  if (cfg.usageKeySecretParameter) return UsageKeys.fromBase64(await (await import('../../shared/ssm.ts')).readParameter(cfg.usageKeySecretParameter));
  return null;
}
