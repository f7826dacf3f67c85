/**
 * One gateway for the browser and CORS tests (each start costs ~20 s): over the run's shared
 * test lake and keys of its own, with two allowed CORS origins. The playground and docs are
 * same-origin, so the allow-list does not touch them. Stopped by a root `after` hook (once every
 * test file has run), or killed if the process exits first.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { localToken } from '../../harness/tokens.ts';
import { newSecret, serializeSecrets } from '../../src/lambda/identity/oauth/secrets.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { startGateway, type Gateway } from '../../harness/gateway.ts';
import { scratchPath, testLake } from './lake.ts';

export const ALLOWED_ORIGINS = ['https://app.example.com', 'http://localhost:5173'] as const;

export interface PagesGateway {
  readonly gateway: Gateway;
  /** A valid token for a client, signed with this gateway's key. */
  token(client: number): string;
  /** Client 4's secret for POST /oauth/token (as `npm run acl -- secret 4` would print it). */
  readonly clientSecret: string;
}

let shared: Promise<PagesGateway> | undefined;

// Registered while mocha loads the first test file that imports this module: a root hook.
after(async () => {
  if (shared) await (await shared.catch(() => undefined))?.gateway.stop();
});

export function pagesGateway(): Promise<PagesGateway> {
  shared ??= (async () => {
    const { dir } = await testLake();
    const keysDir = ensureLocalKeys(scratchPath('keys'));
    const { secret, stored } = newSecret(4);
    writeFileSync(path.join(keysDir, 'client_secrets.jsonl'), serializeSecrets([stored]), { mode: 0o600 });
    const gateway = await startGateway({
      LAKEGATE_LAKE_DIR: dir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_LOG_LEVEL: 'warn', LAKEGATE_CORS_ORIGINS: ALLOWED_ORIGINS.join(','),
    });
    process.once('exit', () => {
      try {
        process.kill(-gateway.pid, 'SIGKILL');
      } catch {
        // already stopped
      }
    });
    const token = (client: number) => localToken(keysDir, client, 600);
    return { gateway, token, clientSecret: secret };
  })();
  return shared;
}
