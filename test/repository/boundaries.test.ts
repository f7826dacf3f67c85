/**
 * The repository's boundaries (.dependency-cruiser.cjs, docs/architecture.md), checked with
 * dependency-cruiser over the real sources: shipped code never imports operator code, the
 * harness, the bench or the tests; shared infrastructure imports nothing of the product; nothing
 * imports the bench; no module loop. Each rule is also shown to fire, on a small scratch tree.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { scratchPath } from '../helpers/lake.ts';

const run = promisify(execFile);
const ROOT = process.cwd();
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation { rule: { name: string }; from: string; to: string }

/** The rule violations dependency-cruiser finds in `dirs` of `cwd`. */
async function violations(cwd: string, dirs: string[]): Promise<Violation[]> {
  const { stdout } = await run(DEPCRUISE, ['--config', CONFIG, '--output-type', 'json', ...dirs], { cwd, maxBuffer: 64 * 2 ** 20 }).catch((e: { stdout?: string }) => {
    if (e.stdout) return { stdout: e.stdout }; // depcruise exits non-zero when it finds violations
    throw e;
  });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('repository boundaries (dependency-cruiser)', function () {
  this.timeout(120_000);

  it('the repository has no boundary violation and no module loop', async () => {
    const found = await violations(ROOT, ['src', 'functions', 'authorizers', 'scripts', 'harness', 'bench', 'fake-data', 'test']);
    expect(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).to.deep.equal([]);
  });

  describe('each rule fires on a scratch tree that breaks it', () => {
    const tree = scratchPath('boundaries');
    let found: Promise<string[]>;
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      writeFileSync(path.join(tree, file), text);
    };
    before(() => {
      write('tsconfig.json', JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, module: 'nodenext', noEmit: true } }));
      write('package.json', JSON.stringify({ name: 'scratch', type: 'module', devDependencies: { 'fast-check': '*' } }));
      write('src/ops/command.ts', 'export const op = 1;\n');
      write('src/lambda/handler.ts', "import { op } from '../ops/command.ts';\nexport const h = op;\n");
      write('src/lambda/dev.ts', "import fc from 'fast-check';\nexport const d = fc;\n");
      write('src/shared/leaf.ts', "import { h } from '../lambda/handler.ts';\nexport const l = h;\n");
      write('src/ops/loop-a.ts', "import { b } from './loop-b.ts';\nexport const a = b;\n");
      write('src/ops/loop-b.ts', "import { a } from './loop-a.ts';\nexport const b = a;\n");
      write('bench/figure.ts', 'export const f = 1;\n');
      write('scripts/load.ts', "import { f } from '../bench/figure.ts';\nexport const x = f;\n");
      write('harness/gateway.ts', "import { x } from '../scripts/load.ts';\nexport const g = x;\n");
      write('src/ops/uses-cli.ts', "import { x } from '../../scripts/load.ts';\nexport const u = x;\n");
      mkdirSync(path.join(tree, 'node_modules', 'fast-check'), { recursive: true });
      writeFileSync(path.join(tree, 'node_modules', 'fast-check', 'package.json'), JSON.stringify({ name: 'fast-check', main: 'index.js' }));
      writeFileSync(path.join(tree, 'node_modules', 'fast-check', 'index.js'), 'module.exports = {};\n');
      found = violations(tree, ['src', 'scripts', 'harness', 'bench']).then((vs) => vs.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
    });

    const expected: [string, string][] = [
      ['shipped-code-stays-shipped', 'src/lambda/handler.ts → src/ops/command.ts'],
      ['shipped-code-no-dev-packages', 'src/lambda/dev.ts → node_modules/fast-check/index.js'],
      ['shared-is-a-leaf', 'src/shared/leaf.ts → src/lambda/handler.ts'],
      ['no-circular', 'src/ops/loop-a.ts → src/ops/loop-b.ts'],
      ['nothing-imports-the-bench', 'scripts/load.ts → bench/figure.ts'],
      ['harness-is-not-a-test', 'harness/gateway.ts → scripts/load.ts'],
      ['operator-code-is-not-a-command', 'src/ops/uses-cli.ts → scripts/load.ts'],
    ];
    for (const [rule, edge] of expected) {
      it(`${rule}: flags ${edge}`, async () => {
        expect(await found).to.include(`${rule}: ${edge}`);
      });
    }
  });
});
