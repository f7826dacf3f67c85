/**
 * Replace a small local file so that readers see the old content or the new, never half of it:
 * write a sibling temporary file (created exclusively, with the final mode), then rename it over.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomicSync(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content, { mode, flag: 'wx' });
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
