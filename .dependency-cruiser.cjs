/**
 * The repository's boundaries (docs/architecture.md), checked by `npm test`
 * (test/repository/boundaries.test.ts) and by `npx depcruise --config .dependency-cruiser.cjs src functions authorizers scripts harness bench fake-data test`:
 *
 * - src/lambda  what ships in a function (and runs in the local gateway)
 * - src/ops     the operator commands' code (never in a function)
 * - src/shared  infrastructure both use (stores, caches, file writers, SQL literals)
 * - harness/    what tests, the bench and `npm run load` start (gateways, packaging)
 * - scripts/    the `npm run` commands; bench/ the benchmarks
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a loop between modules', from: {}, to: { circular: true } },
    {
      name: 'shipped-code-stays-shipped', severity: 'error',
      comment: 'what runs in a function imports only function code, shared infrastructure and runtime packages',
      from: { path: '^(src/lambda|functions|authorizers)/' },
      to: { path: '^(src/ops|scripts|harness|bench|test|fake-data)/' },
    },
    {
      name: 'shipped-code-no-dev-packages', severity: 'error',
      comment: 'a function bundle may not need a devDependency',
      from: { path: '^(src/lambda|src/shared|functions|authorizers)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'shared-is-a-leaf', severity: 'error',
      comment: 'shared infrastructure knows nothing of the product',
      from: { path: '^src/shared/' },
      to: { path: '^(src/lambda|src/ops|scripts|harness|bench|test|fake-data|functions|authorizers)/' },
    },
    {
      name: 'operator-code-is-not-a-command', severity: 'error',
      comment: 'operator code is called by the commands, not the other way round',
      from: { path: '^src/ops/' },
      to: { path: '^(scripts|harness|bench|test)/' },
    },
    {
      name: 'nothing-imports-the-bench', severity: 'error',
      from: { pathNot: '^bench/' },
      to: { path: '^bench/' },
    },
    {
      name: 'harness-is-not-a-test', severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    // TypeScript 7 has no compiler API yet: swc parses the sources instead.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.cjs', '.js', '.json'] },
  },
};
