/**
 * Starts the real gateway — `serverless offline` with the real authorizer and handlers,
 * bundled by serverless-esbuild — on free loopback ports, over a lake and keys of the test's
 * own, and waits for the local plugin's ready line (serverless/offline-gateway.cjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A TCP port free on loopback now (for a server this process is about to start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** What serverless/offline-gateway.cjs prints once the gateway serves. */
export const READY_LINE = 'lakegate gateway ready on';

/**
 * The environment every local gateway runs with (`npm start` and the harness alike):
 * serverless-offline's own narration of each request (three lines through the framework's
 * logger, most of a warm request's cost) is left out; the handlers' access lines remain.
 */
export const GATEWAY_ENVIRONMENT = { SLS_LOG_LEVEL: process.env.SLS_LOG_LEVEL ?? 'warning' };

export interface Gateway {
  readonly url: string;
  /** Where serverless-offline's Lambda Invoke API would listen (kept closed by serverless/offline-gateway.cjs). */
  readonly lambdaUrl: string;
  /** The serverless-offline process (its worker threads included), for memory readings. */
  readonly pid: number;
  /** Settles when the gateway process exits (for callers that must notice an early death). */
  readonly exited: Promise<number | null>;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function startGateway(env: Record<string, string>, timeoutMs = 120_000): Promise<Gateway> {
  const [port, lambdaPort] = [await freePort(), await freePort()];
  const buildDir = `.esbuild-test-${process.pid}-${port}`;
  // serverless-esbuild copies each function into a folder under the temp directory and cannot
  // remove it (it is not empty): give the gateway a temp directory of its own, removed on stop.
  const tmpDir = gatewayTempDir();
  const child: ChildProcess = spawn('node_modules/.bin/serverless', ['offline', 'start', '--stage', 'local'], {
    env: {
      ...process.env,
      LAKEGATE_PORT: String(port),
      LAKEGATE_LAMBDA_PORT: String(lambdaPort),
      LAKEGATE_BUILD_DIR: buildDir,
      LAKEGATE_WATCH_IGNORE: '**', // no rebuild under a running test or measurement
      TMPDIR: tmpDir,
      ...GATEWAY_ENVIRONMENT,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() ends the workers too
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (output.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before it was ready:\n${output}`));
    });
  });
  await ready.catch((e) => {
    // A gateway that never became ready must not outlive the caller (nor keep its event loop alive).
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
    pid: child.pid!,
    exited,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, 'SIGTERM');
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(buildDir, { recursive: true, force: true });
      rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh temp directory for one gateway (TMPDIR of serverless and its workers): what
 * serverless-esbuild leaves there (≈ 35 MB of per-function copies per start) goes with it.
 */
export function gatewayTempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lakegate-gateway-'));
}

/** Resident memory of a process (its threads included), MiB, from /proc; undefined where it cannot be read. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
