/**
 * Replacing a local file so that readers see the old content or the new, never half of it: write
 * a sibling temporary file (created exclusively, with the final mode), then rename it over. For
 * small files written by one process (keys, the key ring, the rollups' record), and for tables an
 * operator edits while others may too (the access table, the credentials store: the edit is
 * refused when the file changed since it was read).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileVersion } from './versioned-store.ts';

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

export class ConcurrentEdit extends Error {
  override name = 'ConcurrentEdit';
}

/**
 * Write `body` to `file` unless the file changed since `expectedVersion` was read (another
 * edit won the race): readers see the old table or the new one, never a mix or a partial file.
 */
export async function replaceAtomically(file: string, body: string, expectedVersion: string, mode = 0o644): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    const now = await stat(file);
    if (fileVersion(now) !== expectedVersion) throw new ConcurrentEdit(`${path.basename(file)} changed while this edit was prepared; run the command again`);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Create `file` with `body` (and its folder), refused if it exists (another edit created it first). */
export async function createExclusively(file: string, body: string, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'wx', mode).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EEXIST') throw new ConcurrentEdit(`${path.basename(file)} was created while this edit was prepared; run the command again`);
    throw e;
  });
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
