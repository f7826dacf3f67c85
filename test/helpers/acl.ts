/** An access table fixed in memory (our own store interface, not an AWS service), cached as the authorizer caches it. */
import { AclCache } from '../../src/acl/cache.ts';
import { serializeAccessTable, type AccessRule } from '../../src/acl/model.ts';

export function fixedAccessTable(rules: readonly AccessRule[]): AclCache {
  const body = serializeAccessTable(rules);
  return new AclCache({ location: 'memory', read: async () => ({ changed: true as const, version: '1', body }) }, { ttlMs: 60_000, maxStaleMs: 60_000, readTimeoutMs: 1000 });
}
