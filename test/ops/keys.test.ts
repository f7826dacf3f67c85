/**
 * `npm run keys -- rotate-pseudonyms` on a keys folder: a new secret, owner-only, every pseudonym
 * different after it (the ring's own commands are tested on a running gateway, test/http/oauth.test.ts).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { PseudonymKey } from '../../src/lambda/privacy/pseudonym-key.ts';
import { scratchPath } from '../helpers/lake.ts';

describe('npm run keys -- rotate-pseudonyms', function () {
  this.timeout(30_000);

  it('replaces the pseudonym secret with a new 256-bit one (mode 0600), so the derived key changes', async () => {
    const dir = ensureLocalKeys(scratchPath('keys'));
    const file = path.join(dir, 'pseudonym.key');
    const before = readFileSync(file, 'utf8');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', 'rotate-pseudonyms'], {
      env: { ...process.env, LAKEGATE_KEYS_DIR: dir },
    });
    expect(stdout).to.match(/^new pseudonym secret: every pseudonym changes/);
    const after = readFileSync(file, 'utf8');
    expect(after).to.match(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(after.trim(), 'base64')).to.have.length(32);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(PseudonymKey.fromText(after).key.equals(PseudonymKey.fromText(before).key)).to.equal(false);
  });
});
