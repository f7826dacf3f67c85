/**
 * The authorizer's in-memory copy of the access-control table.
 *
 * - Fresh for `ttlMs`: decisions use memory only (the warm path costs no I/O).
 * - Then re-validated with one conditional read (single flight: concurrent requests share it).
 * - A table that reads but does not parse is broken: every decision fails (deny) until fixed;
 *   the old copy is not used, so a bad edit never silently keeps stale grants alive.
 * - A read that fails (I/O error, timeout) may fall back on the last good copy while that copy
 *   was validated less than `maxStaleMs` ago; after that, every decision fails (deny).
 *
 * So a revocation takes effect within `ttlMs` (plus API Gateway's authorizer-result TTL).
 */
import { parseAccessTable, type AccessTable } from './model.ts';
import type { AclStore } from './store.ts';
import { withTimeout } from '../timeout.ts';

export interface AclCacheOptions {
  readonly ttlMs: number;
  readonly maxStaleMs: number;
  /** A read slower than this counts as failed. */
  readonly readTimeoutMs: number;
  readonly now?: () => number;
}

export class AccessTableUnavailable extends Error {
  override name = 'AccessTableUnavailable';
}

interface Copy {
  readonly table: AccessTable;
  readonly version: string;
  /** When the store last confirmed this copy. */
  validatedAt: number;
}

export class AclCache {
  private copy: Copy | undefined;
  private refreshing: Promise<AccessTable> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly store: AclStore,
    private readonly opts: AclCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async table(): Promise<AccessTable> {
    const copy = this.copy;
    if (copy && this.now() - copy.validatedAt < this.opts.ttlMs) return copy.table;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<AccessTable> {
    const known = this.copy;
    let read;
    try {
      read = await withTimeout(this.store.read(known?.version), this.opts.readTimeoutMs, () => new Error(`timed out after ${this.opts.readTimeoutMs} ms`));
    } catch (e) {
      if (known && this.now() - known.validatedAt < this.opts.maxStaleMs) return known.table;
      this.copy = undefined;
      throw new AccessTableUnavailable(`access table unreadable at ${this.store.location}: ${(e as Error).message}`);
    }
    if (!read.changed && known) {
      known.validatedAt = this.now();
      return known.table;
    }
    if (!read.changed) throw new AccessTableUnavailable('store reported no change but nothing is cached');
    try {
      const table = parseAccessTable(read.body);
      this.copy = { table, version: read.version, validatedAt: this.now() };
      return table;
    } catch (e) {
      this.copy = undefined;
      throw new AccessTableUnavailable(`access table at ${this.store.location} is malformed: ${(e as Error).message}`);
    }
  }
}
