/**
 * The warm-path cost of usage metering and limits, in process: a query handler over
 * an engine that answers at once, and the token authorizer's Lambda handler, each measured
 * without (limits off, metrics off, logs silent) and with everything on as `npm start` and AWS
 * run it (SQLite limiter, access line to stdout and to a file, EMF document to stdout, usage key).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface UsageSide {
  handler: { median: number; p99: number };
  authorizer: { median: number; p99: number };
}

async function side(env: Record<string, string>): Promise<UsageSide> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-bench-usage-'));
  try {
    const out = path.join(dir, 'figures.json');
    const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', 'bench/usage-run.ts', out], {
      env: { ...process.env, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('$DIR', dir)])) },
      stdio: ['ignore', 'ignore', 'inherit'], // stdout: the access lines and EMF documents, not wanted here
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`bench/usage-run.ts exited ${code}`);
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureUsage(): Promise<{ without: UsageSide; with: UsageSide }> {
  const without = await side({ LAKEGATE_LIMITS: 'off', LAKEGATE_METRICS: 'off', LAKEGATE_LOG_LEVEL: 'silent', LAKEGATE_ACCESS_LOG_FILE: '' });
  const withAll = await side({
    LAKEGATE_LIMITS: 'on', LAKEGATE_LIMITS_DB: '$DIR/limits.db', LAKEGATE_METRICS: 'emf', LAKEGATE_LOG_LEVEL: 'info',
    LAKEGATE_ACCESS_LOG_FILE: '$DIR/access.log', LAKEGATE_USAGE_KEY_SECRET: Buffer.alloc(32, 1).toString('base64'),
  });
  return { without, with: withAll };
}
