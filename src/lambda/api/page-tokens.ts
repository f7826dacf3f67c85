/** The process's page-token sealer, with its secret from configuration (read once). */
import { keysDir, pageTokenConfig } from '../config.ts';
import { readKeyFile } from '../identity/keys/key-files.ts';
import { once } from '../../shared/once.ts';
import { PageTokens } from './page-token-seal.ts';

export const pageTokens = once(load);

async function load(): Promise<PageTokens> {
  const cfg = pageTokenConfig();
  let secret = cfg.secret;
  if (!secret && cfg.secretParameter) secret = await (await import('../../shared/ssm.ts')).readParameter(cfg.secretParameter);
  secret ??= readKeyFile(keysDir(), 'pageSecret');
  return new PageTokens(Buffer.from(secret.trim(), 'base64'), cfg.ttlSec);
}
