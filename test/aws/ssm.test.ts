/**
 * Parameters from SSM (the functions' secrets on AWS: the JWT public key, the page-token, usage-key
 * and pseudonym secrets), against the emulator: a SecureString read decrypted, a missing one an
 * error (the function then fails instead of running without it).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PseudonymKey } from '../../src/lambda/privacy/pseudonym-key.ts';
import { readParameter } from '../../src/shared/ssm.ts';
import { describeWithMoto } from '../helpers/moto.ts';

describeWithMoto('SSM parameters', () => {
  const put = (Name: string, Value: string, Overwrite = false) => new SSMClient({}).send(new PutParameterCommand({ Name, Value, Type: 'SecureString', Overwrite }));

  it('a SecureString parameter is read decrypted', async () => {
    await put('/lakegate/emu/page-token-secret', 'c2VjcmV0IHRleHQ=');
    expect(await readParameter('/lakegate/emu/page-token-secret')).to.equal('c2VjcmV0IHRleHQ=');
  });

  it('a missing parameter is an error, never an empty secret', async () => {
    const error = await readParameter('/lakegate/emu/jwt-public-key').then(() => undefined, (e: unknown) => e);
    expect((error as Error).name).to.equal('ParameterNotFound');
  });

  it('the pseudonym secret as the deploy guide creates it (32 random bytes, base64) keys pseudonyms; put again with --overwrite, another key', async () => {
    const name = '/lakegate/emu/pseudonym-secret';
    await put(name, randomBytes(32).toString('base64'));
    const before = new PseudonymKey(Buffer.from(await readParameter(name), 'base64'));
    await put(name, randomBytes(32).toString('base64'), true);
    const after = new PseudonymKey(Buffer.from(await readParameter(name), 'base64'));
    expect(before.key).to.have.length(32);
    expect(after.key.equals(before.key)).to.equal(false);
  });
});
