/**
 * The authorizer's (and the token endpoint's) in-memory copy of the access-control table: a
 * versioned cache (src/shared/versioned-cache.ts) of the table's store, strict and all-or-nothing.
 * So a revocation takes effect within `ttlMs` (plus API Gateway's authorizer-result TTL); a table
 * that cannot be read or parsed denies everything (fail closed).
 */
import { VersionedCache, type VersionedCacheOptions } from '../../shared/versioned-cache.ts';
import type { VersionedStore } from '../../shared/versioned-store.ts';
import { parseAccessTable, type AccessTable } from './model.ts';

export class AccessTableUnavailable extends Error {
  override name = 'AccessTableUnavailable';
}

/** The authorizer's copy of the access table. */
export class AccessTableCache extends VersionedCache<AccessTable> {
  constructor(store: VersionedStore, opts: VersionedCacheOptions) {
    super(store, parseAccessTable, { ...opts, what: 'access table', unavailable: (m) => new AccessTableUnavailable(m) });
  }

  table(): Promise<AccessTable> {
    return this.get();
  }
}
