/**
 * A parsed, in-memory copy of a versioned text object (versioned-store.ts: the access table, the
 * credentials store, the rollups' record):
 *
 * - fresh for `ttlMs`: lookups use memory only (the warm path costs no I/O);
 * - then re-validated with one conditional read (single flight: concurrent requests share it);
 * - a text that reads but does not parse is broken: every lookup fails until it is fixed; the
 *   old copy is not used, so a bad edit never silently keeps stale values alive;
 * - a read that fails (I/O error, timeout) may fall back on the last good copy while it was
 *   validated less than `maxStaleMs` ago; after that, every lookup fails (the caller fails closed).
 */
import { withTimeout } from './timeout.ts';
import type { VersionedStore } from './versioned-store.ts';

export interface VersionedCacheOptions {
  readonly ttlMs: number;
  readonly maxStaleMs: number;
  /** A read slower than this counts as failed. */
  readonly readTimeoutMs: number;
  readonly now?: () => number;
}


interface Copy<T> {
  readonly value: T;
  readonly version: string;
  /** When the store last confirmed this copy. */
  validatedAt: number;
}

/**
 * A parsed copy of a versioned text in a store (the access table, the credentials store): the
 * TTL, single-flight re-validation, bounded staleness on read failures and all-or-nothing
 * parsing described above, for any parser.
 */
export class VersionedCache<T> {
  private copy: Copy<T> | undefined;
  private refreshing: Promise<T> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly store: VersionedStore,
    private readonly parse: (text: string) => T,
    private readonly opts: VersionedCacheOptions & {
      /** The value when the store has no such object yet (else a missing object is a read failure). */
      readonly whenMissing?: () => T;
      /** The error every failed lookup throws (→ deny / 503 by the caller). */
      readonly unavailable: (message: string) => Error;
      /** What is cached, for error messages. */
      readonly what: string;
    },
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The value, re-validated once older than the TTL (or than `maxAgeMs`, when a caller needs it fresher). */
  async get(maxAgeMs = this.opts.ttlMs): Promise<T> {
    const copy = this.copy;
    if (copy && this.now() - copy.validatedAt < Math.min(maxAgeMs, this.opts.ttlMs)) return copy.value;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<T> {
    const known = this.copy;
    let read;
    try {
      read = await withTimeout(this.store.read(known?.version), this.opts.readTimeoutMs, () => new Error(`timed out after ${this.opts.readTimeoutMs} ms`));
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as Error).name === 'NoSuchKey'; // a file, or an S3 object
      if (missing && this.opts.whenMissing) {
        this.copy = undefined;
        return this.opts.whenMissing();
      }
      if (known && this.now() - known.validatedAt < this.opts.maxStaleMs) return known.value;
      this.copy = undefined;
      throw this.opts.unavailable(`${this.opts.what} unreadable at ${this.store.location}: ${(e as Error).message}`);
    }
    if (!read.changed && known) {
      known.validatedAt = this.now();
      return known.value;
    }
    if (!read.changed) throw this.opts.unavailable('store reported no change but nothing is cached');
    try {
      const value = this.parse(read.body);
      this.copy = { value, version: read.version, validatedAt: this.now() };
      return value;
    } catch (e) {
      this.copy = undefined;
      throw this.opts.unavailable(`${this.opts.what} at ${this.store.location} is malformed: ${(e as Error).message}`);
    }
  }
}
