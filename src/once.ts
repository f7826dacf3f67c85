/**
 * A value created once per process (a Lambda's cold start) and shared by every request; a failed
 * creation is forgotten, so the next request retries it instead of failing forever, and its
 * rejection never goes unhandled.
 */
export function once<T>(create: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      value = create().catch((e) => {
        value = undefined;
        throw e;
      });
      value.catch(() => {});
    }
    return value;
  };
}
