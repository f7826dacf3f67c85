/**
 * A value created once per process (a Lambda's cold start) and shared by every request; a failed
 * creation is forgotten, so the next request retries it instead of failing forever, and its
 * rejection never goes unhandled. `set` replaces it (tests, the bench); `set(undefined)` forgets it.
 */
export interface Lazy<T> {
  get(): Promise<T>;
  set(value: T | undefined): void;
}

export function lazy<T>(create: () => Promise<T>): Lazy<T> {
  let value: Promise<T> | undefined;
  return {
    get() {
      if (!value) {
        const created = create().catch((e) => {
          if (value === created) value = undefined;
          throw e;
        });
        created.catch(() => {});
        value = created;
      }
      return value;
    },
    set(v) {
      value = v === undefined ? undefined : Promise.resolve(v);
    },
  };
}

/** `lazy(create).get`, for values nobody replaces. */
export function once<T>(create: () => Promise<T>): () => Promise<T> {
  const l = lazy(create);
  return () => l.get();
}
