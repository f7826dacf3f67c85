/**
 * The privacy a local gateway gives a client (docs/privacy.md), for code that runs the engine
 * in-process beside one (the tests' expected answers, the bench, npm run load): the mode and the
 * pseudonym key of that gateway's keys folder.
 */
import { readKeyFile } from '../src/lambda/identity/keys/key-files.ts';
import type { PiiMode } from '../src/lambda/privacy/modes.ts';
import { PseudonymKey } from '../src/lambda/privacy/pseudonym-key.ts';
import type { Privacy } from '../src/lambda/privacy/statements.ts';

export function localPrivacy(keysDir: string, mode: PiiMode): Privacy {
  return { mode, key: PseudonymKey.fromText(readKeyFile(keysDir, 'pseudonymSecret')) };
}
