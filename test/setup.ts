// Loaded by mocha before the tests (.mocharc.json "require").
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureLocalKeys } from '../src/lambda/identity/keys/key-files.ts';

// Quiet logs unless asked for.
process.env.LAKEGATE_LOG_LEVEL ??= 'silent';

// In-process tests (handlers called directly) get keys of their own, so a run never reads or
// creates the checkout's `.keys/` and behaves the same on a fresh clone as on a used one.
// Tests that start a gateway still pass it a keys folder of their own.
const keys = mkdtempSync(path.join(os.tmpdir(), 'lakegate-test-keys-'));
process.on('exit', () => rmSync(keys, { recursive: true, force: true }));
process.env.LAKEGATE_KEYS_DIR = ensureLocalKeys(keys);
