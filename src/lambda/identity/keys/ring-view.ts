/**
 * A value derived from the local key ring (its public keys for the authorizer, its current
 * signing key for the token endpoint), kept in memory and re-validated with one stat of
 * keyring.json once older than the caller's limit: re-derived only when the file changed
 * (rotate, retire). A ring that cannot be read fails the lookup: never an old value.
 */
import { stat } from 'node:fs/promises';
import { fileVersion } from '../../../shared/versioned-store.ts';

export class RingView<T> {
  private cached: { version: string; value: T; checkedAt: number } | undefined;
  private refreshing: Promise<T> | undefined;

  constructor(
    private readonly ringFile: string,
    /** Creates the ring on first use if needed, then derives the value from it. */
    private readonly derive: () => T,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value, re-validated if it was last checked `maxAgeMs` or more ago. */
  async get(maxAgeMs: number): Promise<T> {
    const c = this.cached;
    if (c && this.now() - c.checkedAt < maxAgeMs) return c.value;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<T> {
    try {
      if (!this.cached) this.derive(); // first use: the ring may have to be created before it can be stat-ed
      const version = fileVersion(await stat(this.ringFile));
      if (this.cached?.version === version) {
        this.cached.checkedAt = this.now();
        return this.cached.value;
      }
      const value = this.derive();
      this.cached = { version, value, checkedAt: this.now() };
      return value;
    } catch (e) {
      this.cached = undefined;
      throw e;
    }
  }
}
