/**
 * npm run fake-data -- [--seed N] [--scale S] [--out DIR]
 *
 * Generates the deterministic local lake (default: seed 42, scale 1 ≈ 500k trackcodes over 2024,
 * into .lake/). A bad flag or a non-empty --out is refused before anything is written.
 */
import { parseArgs } from 'node:util';
import { catalog } from '../src/lambda/catalog.ts';
import { lakeDir } from '../src/lambda/config.ts';
import { generateLake, GenerateError } from './generate.ts';
import { DEFAULT_SCALE, DEFAULT_SEED } from './defaults.ts';

const USAGE = 'usage: npm run fake-data -- [--seed N] [--scale S] [--out DIR]';

function fail(message: string): never {
  console.error(`fake-data: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseFlags(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { seed: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!/^-?\d+$/.test(values.seed ?? '0') || !Number.isSafeInteger(seed)) fail(`--seed must be an integer, got "${values.seed}"`);
  const scale = values.scale === undefined ? DEFAULT_SCALE : Number(values.scale);
  if (!/^\d+(\.\d+)?$/.test(values.scale ?? '1') || !(scale >= 0.0001 && scale <= 200)) {
    fail(`--scale must be a number from 0.0001 to 200 (1 ≈ 500k trackcodes), got "${values.scale}"`);
  }
  if (values.out !== undefined && values.out.trim() === '') fail('--out must not be empty');
  return { seed, scale, out: values.out ?? lakeDir() };
}

const flags = parseFlags(process.argv.slice(2));
const started = performance.now();
try {
  const manifest = await generateLake({ ...flags, queryNames: [...catalog().keys()] });
  const secs = (performance.now() - started) / 1000;
  const total = Object.values(manifest.rows).reduce((a, b) => a + b, 0);
  console.log(
    `lake written to ${flags.out} in ${secs.toFixed(1)}s (seed ${flags.seed}, scale ${flags.scale}): ` +
      Object.entries(manifest.rows).map(([t, n]) => `${t} ${n}`).join(', ') +
      ` — ${Math.round(total / secs).toLocaleString('en-US')} rows/s, peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
  );
} catch (e) {
  if (e instanceof GenerateError) fail(e.message);
  throw e;
}
