/**
 * The local access log's file, kept to a bounded size: whole lines are appended (O_APPEND) until
 * the next one would take the file past `maxBytes`; then it is renamed `<file>.1` (the older
 * ones shift to `.2`, `.3`…, the oldest beyond `keep` is deleted) and a new file is started. A
 * line is never split across files, and `npm run usage` reads them all (`rotatedFiles`).
 *
 * The local gateway runs every function in one process, so one writer owns the file. A second
 * process appending to the same file (two gateways sharing one log) keeps its descriptor: its
 * lines land in the renamed file, which `npm run usage` still reads until it is rotated out.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
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
  private size = 0;

  constructor(
    readonly file: string,
    private readonly rotation: Rotation,
  ) {}

  /** Append one whole line (it ends with a newline). Throws on I/O errors (the caller logs them). */
  append(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.fd === undefined) this.open();
    if (this.size > 0 && this.size + bytes > this.rotation.maxBytes) {
      this.rotate();
      this.open();
    }
    writeSync(this.fd!, line);
    this.size += bytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
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

/** The log's files that exist, oldest first: `<file>.N` … `<file>.1`, then `<file>` itself. */
export function rotatedFiles(file: string, keep: number): string[] {
  const files: string[] = [];
  for (let n = keep; n >= 1; n -= 1) if (existsSync(rotated(file, n))) files.push(rotated(file, n));
  if (existsSync(file)) files.push(file);
  return files;
}
