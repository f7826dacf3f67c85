/**
 * A versioned text object (the access table, the credentials store, the rollups' record), behind
 * one interface: a local file, or an object in S3 (s3-object.ts). Each read may be conditional
 * on the version last seen, so re-validating an unchanged object costs a stat (or an S3 304),
 * not a download.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

export type VersionedRead = { readonly changed: false } | { readonly changed: true; readonly version: string; readonly body: string };

export interface VersionedStore {
  /** Read the object unless its version is still `knownVersion`. */
  read(knownVersion?: string): Promise<VersionedRead>;
  /** Where it is, for logs and error messages. */
  readonly location: string;
}

/** A file's version for conditional reads: changes whenever the file is replaced or rewritten. */
export function fileVersion(s: Stats): string {
  return `${s.ino}-${s.size}-${s.mtimeMs}`;
}

/** A local file. Writers replace it atomically (write + rename), so a read sees one version. */
export class FileStore implements VersionedStore {
  constructor(readonly location: string) {}

  async read(knownVersion?: string): Promise<VersionedRead> {
    const before = await stat(this.location);
    const version = fileVersion(before);
    if (version === knownVersion) return { changed: false };
    const body = await readFile(this.location, 'utf8');
    // A file replaced between stat and read would pair a new body with an old version; then
    // the next read sees the new version and reads again, so nothing stale sticks.
    return { changed: true, version, body };
  }
}
