/**
 * Values made once per process and shared by every function bundle loaded into it (the query
 * engine, with its DuckDB instance and in-memory rollups).
 *
 * On AWS each Lambda runs one bundle, and this is ordinary module state. Under `npm start`,
 * serverless-offline runs every function in its own process (`useInProcess`) but loads each
 * function's bundle separately, each with its own copy of every module: a value kept in module
 * scope would exist once per function (eight DuckDB instances for eight queries). The values
 * live on `globalThis` instead, in a registry every copy finds by its symbol. After a rebuild the
 * local gateway calls `release()` (serverless/offline-gateway.cjs): new requests make new values
 * with the new code, and the old ones are disposed once requests still using them are over.
 */
import type { Lazy } from '../shared/once.ts';

interface Entry {
  readonly value: Promise<unknown>;
  readonly dispose?: (value: never) => Promise<void>;
}

interface Registry {
  readonly entries: Map<string, Entry>;
  release(): void;
}

const REGISTRY = Symbol.for('lakegate.process-shared');
/** Longer than any request may run (the query deadline is at most 28 s). */
const DISPOSE_AFTER_MS = 30_000;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  holder[REGISTRY] ??= {
    entries: new Map(),
    release() {
      const old = [...this.entries.values()];
      this.entries.clear();
      setTimeout(() => {
        for (const e of old) void e.value.then((v) => e.dispose?.(v as never)).catch(() => {});
      }, DISPOSE_AFTER_MS).unref();
    },
  };
  return holder[REGISTRY];
}

/**
 * Like `lazy` (src/shared/once.ts), but one value per process under `name`: created on first use by
 * whichever bundle asks first, a failed creation forgotten so the next request retries it.
 */
export function processShared<T>(name: string, create: () => Promise<T>, dispose?: (value: T) => Promise<void>): Lazy<T> {
  const { entries } = registry();
  return {
    get() {
      const existing = entries.get(name);
      if (existing) return existing.value as Promise<T>;
      const value = create();
      const entry: Entry = { value, ...(dispose ? { dispose: dispose as (v: never) => Promise<void> } : {}) };
      value.catch(() => {
        if (entries.get(name) === entry) entries.delete(name);
      });
      entries.set(name, entry);
      return value;
    },
    set(v) {
      if (v === undefined) entries.delete(name);
      else entries.set(name, { value: Promise.resolve(v) });
    },
  };
}

/** Forget every shared value (after a rebuild: new requests make new ones), disposing the old ones once their requests are over. */
export function releaseProcessShared(): void {
  registry().release();
}
