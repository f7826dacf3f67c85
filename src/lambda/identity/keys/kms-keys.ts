/** The authorizer's and the JWKS endpoint's view of the KMS signing keys (AWS), read once per cold start. */
import { KMSClient } from '@aws-sdk/client-kms';
import { kmsPublicKey } from './kms-signer.ts';
import { keyThumbprint, type VerificationKey } from '../tokens/verify.ts';

export async function kmsVerificationKeys(keyIds: readonly string[], kms = new KMSClient({})): Promise<VerificationKey[]> {
  return Promise.all(
    keyIds.map(async (id) => {
      const key = await kmsPublicKey(kms, id);
      return { kid: keyThumbprint(key), key, algorithm: 'ES256' as const };
    }),
  );
}
