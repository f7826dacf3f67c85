/**
 * The credentials store behind one interface: a local file under the keys folder, or an object
 * in the stage's credentials bucket on AWS (its own bucket: only the token function may read
 * it; the authorizer, query functions and crawlers cannot). Read with the same conditional
 * versioned reads as the access table, kept for a few seconds, and never served stale when
 * unreadable or malformed: then nobody authenticates (fail closed).
 */
import { FileAclStore, type AclStore } from '../acl/store.ts';
import { oauthConfig } from '../config.ts';
import { withTimeout } from '../timeout.ts';
import { parseSecrets, type StoredSecret } from './secrets.ts';

/** The store's current secrets, re-validated after `ttlMs` with one conditional read. */
export class CredentialsCache {
  private copy: { version: string; secrets: StoredSecret[]; checkedAt: number } | undefined;
  private refreshing: Promise<StoredSecret[]> | undefined;

  constructor(
    private readonly store: AclStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async secrets(): Promise<readonly StoredSecret[]> {
    const c = this.copy;
    if (c && this.now() - c.checkedAt < this.ttlMs) return c.secrets;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<StoredSecret[]> {
    try {
      const read = await withTimeout(this.store.read(this.copy?.version), 2000, () => new Error('credentials store read timed out'));
      if (!read.changed) {
        if (!this.copy) throw new Error('store reported no change but nothing is cached');
        this.copy.checkedAt = this.now();
        return this.copy.secrets;
      }
      const secrets = parseSecrets(read.body);
      this.copy = { version: read.version, secrets, checkedAt: this.now() };
      return secrets;
    } catch (e) {
      this.copy = undefined;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // no secret issued yet: nobody authenticates
      throw e;
    }
  }
}

export async function credentialsStore(): Promise<AclStore> {
  const cfg = oauthConfig();
  if (cfg.credentialsS3Uri) return (await import('../acl/s3-store.ts')).S3AclStore.fromUri(cfg.credentialsS3Uri);
  return new FileAclStore(cfg.credentialsFile);
}
