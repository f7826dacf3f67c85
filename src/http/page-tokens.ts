/** The process's page-token sealer, with its secret from configuration (read once). */
import { keysDir, pageTokenConfig } from '../config.ts';
import { readKeyFile } from '../keys.ts';
import { once } from '../once.ts';
import { PageTokens } from './page-token.ts';

export const pageTokens = once(load);

async function load(): Promise<PageTokens> {
  const cfg = pageTokenConfig();
  let secret = cfg.secret;
  if (!secret && cfg.secretParameter) secret = await (await import('../aws/ssm.ts')).readParameter(cfg.secretParameter);
  secret ??= readKeyFile(keysDir(), 'pageSecret');
  return new PageTokens(Buffer.from(secret.trim(), 'base64'), cfg.ttlSec);
}
