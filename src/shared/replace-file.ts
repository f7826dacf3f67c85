/** Replace a local table file (the access table, the credentials store) atomically: write a sibling temp file, fsync, rename. */
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileVersion } from './versioned-store.ts';

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
