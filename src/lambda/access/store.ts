/** The access table where configuration says it is: the data bucket (AWS) or the local lake. */
import { authConfig, lakeDir } from '../config.ts';
import { accessControlKey } from '../lake/layout.ts';
import { FileStore, type VersionedStore } from '../../shared/versioned-store.ts';

export async function configuredAccessTableStore(): Promise<VersionedStore> {
  const uri = authConfig().aclS3Uri;
  if (uri) return (await import('../../shared/s3-object.ts')).S3Object.fromUri(uri);
  return new FileStore(`${lakeDir()}/${accessControlKey}`);
}
