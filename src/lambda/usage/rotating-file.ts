/**
 * The local access log's file, kept to a bounded size: whole lines are appended (O_APPEND) until
 * the next one would take the file past `maxBytes`; then it is renamed `<file>.1` (the older
 * ones shift to `.2`, `.3`…, the oldest beyond `keep` is deleted) and a new file is started. A
 * line is never split across files, and `npm run usage` reads them all (`rotatedFiles`).
 *
 * Several writers share the file: under `npm start` each function bundle has its own copy of this
 * module (src/lambda/process-shared.ts), and two gateways may share one log. So a writer keeps no
 * size of its own: before each line it reads the file's size, and when another writer has rotated
 * the file away it reopens the new one, so no writer goes on filling a rotated (or deleted) file.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface Rotation {
  /** Largest size of one file, bytes (a single longer line still gets a file of its own). */
  readonly maxBytes: number;
  /** Rotated files kept beside the current one. */
  readonly keep: number;
}

/** `<file>.<n>`: the n-th most recent rotated file. */
const rotated = (file: string, n: number) => `${file}.${n}`;

export class RotatingFile {
  private fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly rotation: Rotation,
  ) {}

  /** Append one whole line (it ends with a newline). Throws on I/O errors (the caller logs them). */
  append(line: string): void {
    const bytes = Buffer.byteLength(line);
    const size = this.openSize();
    if (size > 0 && size + bytes > this.rotation.maxBytes) {
      this.rotate();
      this.openSize();
    }
    writeSync(this.fd!, line);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The size of the file at `file`, open: (re)opened when not open yet or another writer rotated it away. */
  private openSize(): number {
    if (this.fd !== undefined) {
      const own = fstatSync(this.fd);
      if (own.ino === inodeAt(this.file)) return own.size;
      this.close();
    }
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a', 0o600);
    return fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    rmSync(rotated(this.file, this.rotation.keep), { force: true });
    for (let n = this.rotation.keep - 1; n >= 1; n -= 1) {
      if (existsSync(rotated(this.file, n))) renameSync(rotated(this.file, n), rotated(this.file, n + 1));
    }
    renameSync(this.file, rotated(this.file, 1));
  }
}

/** The inode of the file at `file` now (undefined: none there). */
function inodeAt(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.ino;
}

/** The log's files that exist, oldest first: `<file>.N` … `<file>.1`, then `<file>` itself. */
export function rotatedFiles(file: string, keep: number): string[] {
  const files: string[] = [];
  for (let n = keep; n >= 1; n -= 1) if (existsSync(rotated(file, n))) files.push(rotated(file, n));
  if (existsSync(file)) files.push(file);
  return files;
}
