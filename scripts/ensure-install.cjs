/**
 * Run before `npm start` and `npm test` (package.json `prestart`, `pretest`): installs exactly
 * what package-lock.json pins (`npm ci`) when the dependencies are missing or older than the
 * lockfile, so a fresh clone needs no step before those two commands. Plain Node, no dependency:
 * it runs before any is installed.
 */
const { spawnSync } = require('node:child_process');
const { statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const mtime = (file) => {
  try {
    return statSync(path.join(root, file)).mtimeMs;
  } catch {
    return undefined;
  }
};

const installed = mtime('node_modules/.package-lock.json'); // written by npm after every install
const locked = mtime('package-lock.json');
if (installed === undefined || (locked !== undefined && locked > installed)) {
  console.log(installed === undefined ? 'dependencies missing: npm ci…' : 'package-lock.json changed since the last install: npm ci…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
