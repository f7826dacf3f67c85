/**
 * npm start — build what is missing, then serve the API on http://localhost:3000:
 * 1. local keys (.keys/: JWT key pair, page-token secret), created once;
 * 2. the default lake (.lake/, seed 42, scale 1), generated if absent;
 * 3. `serverless offline` (serverless-esbuild bundles the handlers on start), with the plans'
 *    limits on and the access log appended to .usage/access.log.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { catalog } from '../src/lambda/catalog.ts';
import { DEFAULT_ACCESS_LOG, keysDir, lakeDir } from '../src/lambda/config.ts';
import { ensureLocalKeys } from '../src/lambda/identity/keys/key-files.ts';
import { generateLake } from '../fake-data/generate.ts';
import { DEFAULT_SEED } from '../fake-data/defaults.ts';
import { GATEWAY_ENVIRONMENT, gatewayTempDir } from '../harness/gateway.ts';

ensureLocalKeys(keysDir());
if (!existsSync(path.join(lakeDir(), 'lake.json'))) {
  console.log(`no lake at ${lakeDir()}: generating the default one (seed ${DEFAULT_SEED}, scale 1)…`);
  const started = performance.now();
  await generateLake({ seed: DEFAULT_SEED, scale: 1, out: lakeDir(), queryNames: [...catalog().keys()] });
  console.log(`lake ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const bin = path.join('node_modules', '.bin', 'serverless');
// The plans are enforced and every request appended to the access log (`npm run usage` reads it);
// both live in the git-ignored .usage/ folder, shared by every function of the gateway.
const usageEnv = {
  ...GATEWAY_ENVIRONMENT,
  LAKEGATE_LIMITS: process.env.LAKEGATE_LIMITS ?? 'on',
  LAKEGATE_ACCESS_LOG_FILE: process.env.LAKEGATE_ACCESS_LOG_FILE ?? DEFAULT_ACCESS_LOG,
  // node:sqlite (the shared limiter state) is stable in use but still flagged experimental in
  // Node 22: without this, every function that opens it prints the same warning.
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning'].filter(Boolean).join(' '),
};
// Its own temp directory, removed on exit: serverless-esbuild leaves per-function copies there.
const tmpDir = gatewayTempDir();
const child = spawn(bin, ['offline', 'start', '--stage', 'local', ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ...usageEnv, TMPDIR: tmpDir } });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  rmSync(tmpDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
