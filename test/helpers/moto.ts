/**
 * A local AWS emulator for the tests in test/aws/: moto's server (`moto_server`, Python), on a
 * free loopback port, speaking the real AWS wire protocols. One server for the run, started on
 * first use and stopped by a root `after` hook; each suite resets its state before each test.
 *
 * Without `moto_server` on the PATH the suites are skipped and one line says how many tests
 * were not run and how to install it; with LAKEGATE_REQUIRE_MOTO=1 (CI, npm run test:aws) its
 * absence fails instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { freePort } from '../../harness/gateway.ts';
import { withRealSend } from './aws-sdk.ts';

export const INSTALL_HINT = 'pip install "moto[server]"';
export const REGION = 'us-east-1';
/** The account moto answers as. */
export const ACCOUNT = '123456789012';

/** `moto_server`'s path on the PATH, if any. */
export function motoBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, 'moto_server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Moto {
  /** `http://127.0.0.1:<port>` (an IP, so S3 uses path-style addressing). */
  readonly endpoint: string;
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** POST a JSON body to one of moto's own endpoints (`/moto-api/…`). */
  control(pathname: string, body: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** Start a moto server; `env` for it (e.g. INITIAL_NO_AUTH_ACTION_COUNT to enforce IAM). */
export async function startMoto(env: Record<string, string> = {}): Promise<Moto> {
  const bin = motoBinary();
  if (!bin) throw new Error(`moto_server is not on the PATH (${INSTALL_HINT})`);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${output}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/data.json`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server not ready after 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const control = async (pathname: string, body: unknown) => {
    const r = await fetch(`${endpoint}${pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`moto ${pathname}: ${r.status} ${await r.text()}`);
  };
  return {
    endpoint,
    control,
    reset: () => control('/moto-api/reset', {}),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

let shared: Promise<Moto> | undefined;
let skipped = 0;

// Root hooks (registered when the first test file imports this module).
after(async function () {
  if (shared) await (await shared.catch(() => undefined))?.stop();
  if (skipped > 0) console.log(`\n${skipped} AWS-emulator tests not run: moto_server is not on the PATH (install it with ${INSTALL_HINT})`);
});

/** The run's shared server. */
export function sharedMoto(): Promise<Moto> {
  shared ??= startMoto();
  return shared;
}

/** The SDK clients the code under test uses (other test files stub their send: test/helpers/aws-sdk.ts). */
const CLIENTS = [S3Client, SSMClient, AthenaClient, APIGatewayClient, CloudFormationClient, IAMClient];
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'lakegate-test', AWS_SECRET_ACCESS_KEY: 'lakegate-test', AWS_REGION: REGION };

/**
 * Within the suite: every SDK client the code creates talks to `moto` (AWS_ENDPOINT_URL and
 * test credentials in the environment), with the SDK's real `send` (other files' stubs put
 * aside), and each test starts from an empty emulator.
 */
export function againstMoto(moto: () => Moto, { resetEachTest = true } = {}): void {
  const saved: Record<string, string | undefined> = {};
  withRealSend(CLIENTS);
  before(() => {
    for (const [k, v] of Object.entries({ ...CREDENTIALS, AWS_ENDPOINT_URL: moto().endpoint })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  if (resetEachTest) beforeEach(async () => moto().reset());
}

export interface MotoSuiteOptions {
  /** A server of the suite's own, started with this environment (e.g. INITIAL_NO_AUTH_ACTION_COUNT), instead of the shared one. */
  readonly serverEnv?: Record<string, string>;
  /** Reset the emulator before each test (default); off when the suite sets up once in `before`. */
  readonly resetEachTest?: boolean;
}

/**
 * A suite that runs against the emulator when moto_server is installed; otherwise skipped (and
 * counted for the notice), or failed when LAKEGATE_REQUIRE_MOTO=1.
 */
export function describeWithMoto(title: string, body: (moto: () => Moto) => void, options: MotoSuiteOptions = {}): void {
  if (motoBinary()) {
    describe(`${title} (moto)`, function () {
      this.timeout(120_000);
      let server: Moto;
      before(async () => {
        server = options.serverEnv ? await startMoto(options.serverEnv) : await sharedMoto();
      });
      if (options.serverEnv) after(async () => server?.stop());
      againstMoto(() => server, { resetEachTest: options.resetEachTest ?? true });
      body(() => server);
    });
    return;
  }
  if (process.env.LAKEGATE_REQUIRE_MOTO === '1') {
    describe(title, () => it(`needs moto_server on the PATH (${INSTALL_HINT})`, () => {
      throw new Error(`moto_server is not on the PATH and LAKEGATE_REQUIRE_MOTO=1: ${INSTALL_HINT}`);
    }));
    return;
  }
  const suite = describe.skip(title, () => body(() => {
    throw new Error('unreachable: the suite is skipped');
  })) as Mocha.Suite;
  skipped += suite.total();
}
