/**
 * Per function: the deployment artifact's size and the cold module-init time of its bundle in
 * a fresh Node process (require of the bundled handler, with the AWS environment set), as a
 * Lambda cold start would do before the first invocation.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageService } from '../harness/package.ts';
import { median } from '../src/shared/stats.ts';

const run = promisify(execFile);

export interface BundleFigure {
  fn: string;
  zipBytes: number;
  bundleBytes: number;
  initMs: number;
}

const INIT = `
const t0 = performance.now();
const m = require(process.argv[1]);
if (typeof m.handler !== 'function') throw new Error('no handler');
process.stdout.write(String(performance.now() - t0));
`;

export async function measureBundles(runs: number): Promise<BundleFigure[]> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'lakegate-bundles-'));
  try {
    await packageService({ stage: 'bench', out });
    const figures: BundleFigure[] = [];
    for (const zip of readdirSync(out).filter((f) => f.endsWith('.zip')).sort()) {
      const fn = zip.slice(0, -4);
      const dir = path.join(out, fn);
      await run('unzip', ['-q', path.join(out, zip), '-d', dir]);
      const handler = readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith('.cjs'))!;
      const env = {
        PATH: process.env.PATH, LAKEGATE_ENGINE: 'athena', LAKEGATE_ATHENA_WORKGROUP: 'wg', LAKEGATE_GLUE_DATABASE: 'db',
        AWS_REGION: 'us-east-1', LAKEGATE_ROOT: dir,
      };
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const { stdout } = await run(process.execPath, ['-e', INIT, path.join(dir, handler)], { env, cwd: dir });
        ms.push(Number(stdout));
      }
      figures.push({ fn, zipBytes: statSync(path.join(out, zip)).size, bundleBytes: statSync(path.join(dir, handler)).size, initMs: median(ms) });
    }
    return figures;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
