/**
 * The credentials store behind one interface: a local file under the keys folder, or an object
 * in the stage's credentials bucket on AWS (its own bucket: only the token function may read
 * it; the authorizer, query functions and crawlers cannot). Read with the same conditional
 * versioned reads as the access table, kept for a few seconds, and never served stale when
 * unreadable or malformed: then nobody authenticates (fail closed).
 */
import { VersionedCache } from '../../../shared/versioned-cache.ts';
import { FileStore, type VersionedStore } from '../../../shared/versioned-store.ts';
import { oauthConfig } from '../../config.ts';
import { parseSecrets, type StoredSecret } from './secrets.ts';

/** The store's current secrets, re-validated after `ttlMs`; never served stale when unreadable or malformed (fail closed). */
export function credentialsCache(store: VersionedStore, ttlMs: number, now?: () => number): VersionedCache<StoredSecret[]> {
  return new VersionedCache(store, parseSecrets, {
    ttlMs, maxStaleMs: 0, readTimeoutMs: 2000, ...(now ? { now } : {}),
    whenMissing: () => [], // no secret issued yet: nobody authenticates
    unavailable: (m) => new Error(m),
    what: 'credentials store',
  });
}

export async function credentialsStore(): Promise<VersionedStore> {
  const cfg = oauthConfig();
  if (cfg.credentialsS3Uri) return (await import('../../../shared/s3-object.ts')).S3Object.fromUri(cfg.credentialsS3Uri);
  return new FileStore(cfg.credentialsFile);
}
