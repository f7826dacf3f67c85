/** Tokens the way the local gateway accepts them, for the load script, the bench and the tests. */
import { authConfig } from '../src/lambda/config.ts';
import { mintLocalToken } from '../src/lambda/identity/tokens/mint.ts';

/** A token of `client` signed with the local ring's current key; a negative ttl gives an already expired one. */
export function localToken(keysDir: string, client: number, ttlSec = 3600): string {
  const { issuer, audience } = authConfig();
  return mintLocalToken(keysDir, client, { issuer, audience, ttlSec });
}
