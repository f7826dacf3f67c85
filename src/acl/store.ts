/**
 * Where the access-control table is read from, behind one interface: the local lake now, the
 * data bucket on AWS (acl/s3-store.ts). Each read may be conditional on the version last
 * seen, so re-validating an unchanged table costs a stat (or an S3 304), not a download.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { authConfig, lakeDir } from '../config.ts';
import { accessControlKey } from '../lake/layout.ts';

export type AclRead = { readonly changed: false } | { readonly changed: true; readonly version: string; readonly body: string };

export interface AclStore {
  /** Read the table unless its version is still `knownVersion`. */
  read(knownVersion?: string): Promise<AclRead>;
  /** Where it is, for logs and error messages. */
  readonly location: string;
}

/** A file's version for conditional reads: changes whenever the file is replaced or rewritten. */
export function fileVersion(s: Stats): string {
  return `${s.ino}-${s.size}-${s.mtimeMs}`;
}

/** A local file. Writers replace it atomically (write + rename), so a read sees one version. */
export class FileAclStore implements AclStore {
  constructor(readonly location: string) {}

  async read(knownVersion?: string): Promise<AclRead> {
    const before = await stat(this.location);
    const version = fileVersion(before);
    if (version === knownVersion) return { changed: false };
    const body = await readFile(this.location, 'utf8');
    // A file replaced between stat and read would pair a new body with an old version; then
    // the next read sees the new version and reads again, so nothing stale sticks.
    return { changed: true, version, body };
  }
}

/** The access table where configuration says it is: the data bucket (AWS) or the local lake. */
export async function configuredAclStore(): Promise<AclStore> {
  const uri = authConfig().aclS3Uri;
  if (uri) return (await import('./s3-store.ts')).S3AclStore.fromUri(uri);
  return new FileAclStore(`${lakeDir()}/${accessControlKey}`);
}
