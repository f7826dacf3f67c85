/** An access table fixed in memory (our own store interface, not an AWS service), cached as the authorizer caches it. */
import { AccessTableCache } from '../../src/lambda/access/table.ts';
import { serializeAccessTable, type AccessRule } from '../../src/lambda/access/model.ts';

export function fixedAccessTable(rules: readonly AccessRule[]): AccessTableCache {
  const body = serializeAccessTable(rules);
  return new AccessTableCache({ location: 'memory', read: async () => ({ changed: true as const, version: '1', body }) }, { ttlMs: 60_000, maxStaleMs: 60_000, readTimeoutMs: 1000 });
}
