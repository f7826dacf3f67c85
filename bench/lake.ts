/** Lake generation rate and peak memory, each run in a fresh process of the real CLI. */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TRACKCODES_PER_SCALE } from '../fake-data/model.ts';

const run = promisify(execFile);

export interface GenerationFigure {
  label: string;
  seconds: number;
  rowsPerSecond: number;
  orders: number;
  peakMiB: number;
}

export async function measureGeneration(label: string, scale: number): Promise<GenerationFigure> {
  const out = path.join(os.tmpdir(), `lakegate-bench-${process.pid}-${scale}`);
  rmSync(out, { recursive: true, force: true });
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'fake-data/cli.ts', '--scale', String(scale), '--out', out], {
      maxBuffer: 1 << 20,
    });
    const m = /in ([\d.]+)s .*orders (\d+).* ([\d,]+) rows\/s, peak memory (\d+) MiB/.exec(stdout);
    if (!m) throw new Error(`unexpected fake-data output: ${stdout}`);
    return { label, seconds: Number(m[1]), orders: Number(m[2]), rowsPerSecond: Number(m[3]!.replaceAll(',', '')), peakMiB: Number(m[4]) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Scale that gives about `orders` orders (≈ 1.147 orders per trackcode in the model). */
export const scaleForOrders = (orders: number) => Math.round((orders / 1.147 / TRACKCODES_PER_SCALE) * 10) / 10;
