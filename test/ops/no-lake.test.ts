/**
 * Operator commands that read the local lake, run where there is none (a fresh clone before
 * `npm start`): each says so and how to make one, exits 2, and writes nothing.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { scratchPath } from '../helpers/lake.ts';

/** Run a command's script; its exit code and what it printed on stderr (`lake-sql` gets SQL on stdin). */
const run = (script: string, args: string[], env: Record<string, string>) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env } }, (_error, _stdout, stderr) =>
      resolve({ code: child.exitCode ?? -1, stderr }));
    child.stdin?.end('SELECT 1;\n');
  });

describe('operator commands without a lake', function () {
  this.timeout(60_000);
  for (const [script, args, command] of [
    ['scripts/rollup.ts', [], 'rollup'],
    ['scripts/lake-sql.ts', [], 'lake-sql'],
    ['scripts/load.ts', ['--seconds', '1'], 'load'],
    ['bench/run.ts', ['--only', 'queries'], 'bench'],
  ] as const) {
    it(`${command}: "no lake at …: run npm start", exit 2, nothing written`, async () => {
      const lake = scratchPath('no-lake');
      const { code, stderr } = await run(script, [...args], { LAKEGATE_LAKE_DIR: lake, LAKEGATE_KEYS_DIR: scratchPath('no-lake-keys') });
      expect(code).to.equal(2);
      expect(stderr.trim()).to.equal(`${command}: no lake at ${lake}: run npm start (or npm run fake-data) first`);
      expect(existsSync(lake)).to.equal(false);
    });
  }
});
