/**
 * aws-sdk-client-mock stubs a client class's `send` on its prototype, and the test files that use
 * it leave the stub in place for the whole run. A suite that needs the SDK's real `send` (a local
 * HTTP server, the AWS emulator) puts the real one back while it runs.
 */
type SdkClass = { prototype: { send: unknown } };

export function withRealSend(clients: readonly SdkClass[]): void {
  const stubs = new Map<SdkClass, unknown>();
  before(() => {
    for (const C of clients) {
      const original = (C.prototype.send as { wrappedMethod?: unknown }).wrappedMethod;
      if (original) {
        stubs.set(C, C.prototype.send);
        C.prototype.send = original;
      }
    }
  });
  after(() => {
    for (const [C, stub] of stubs) C.prototype.send = stub;
    stubs.clear();
  });
}
