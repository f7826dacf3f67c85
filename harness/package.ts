/**
 * `serverless package` as the tests and the bench run it: no AWS credentials at all, a build
 * folder and a temporary folder of its own (serverless-esbuild leaves per-function copies in the
 * system temp dir), both removed afterwards, so runs never collide and nothing is left behind.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { gatewayTempDir } from './gateway.ts';

const run = promisify(execFile);

export interface PackageOptions {
  readonly stage: string;
  /** The folder that receives the artifacts and the CloudFormation templates. */
  readonly out: string;
  /** `--param name=value` overrides. */
  readonly params?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
}

export async function packageService(o: PackageOptions): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
  const buildDir = `.esbuild-package-${o.stage}-${process.pid}-${Date.now()}`;
  const tmpDir = gatewayTempDir();
  Object.assign(env, {
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true',
    LAKEGATE_BUILD_DIR: buildDir, TMPDIR: tmpDir, ...o.env,
  });
  const params = Object.entries(o.params ?? {}).map(([k, v]) => `--param=${k}=${v}`);
  try {
    await run('node_modules/.bin/serverless', ['package', '--stage', o.stage, '--package', o.out, ...params], { env, maxBuffer: 10 << 20 });
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
