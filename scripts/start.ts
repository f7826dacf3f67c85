/**
 * npm start — build what is missing, then serve the API on http://localhost:3000:
 * 1. local keys (.keys/: JWT key pair, page-token secret), created once;
 * 2. the default lake (.lake/, seed 42, scale 1), generated if absent;
 * 3. `serverless offline` (serverless-esbuild bundles the handlers on start).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { catalog } from '../src/catalog.ts';
import { keysDir, lakeDir } from '../src/config.ts';
import { ensureLocalKeys } from '../src/keys.ts';
import { generateLake } from '../fake-data/generate.ts';
import { DEFAULT_SEED } from '../fake-data/defaults.ts';

ensureLocalKeys(keysDir());
if (!existsSync(path.join(lakeDir(), 'lake.json'))) {
  console.log(`no lake at ${lakeDir()}: generating the default one (seed ${DEFAULT_SEED}, scale 1)…`);
  const started = performance.now();
  await generateLake({ seed: DEFAULT_SEED, scale: 1, out: lakeDir(), queryNames: [...catalog().keys()] });
  console.log(`lake ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const bin = path.join('node_modules', '.bin', 'serverless');
const child = spawn(bin, ['offline', 'start', '--stage', 'local', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
