/** The process's page-token sealer, with its secret from configuration (read once). */
import { keysDir, pageTokenConfig } from '../config.ts';
import { readKeyFile } from '../keys.ts';
import { PageTokens } from './page-token.ts';

let tokens: Promise<PageTokens> | undefined;

export function pageTokens(): Promise<PageTokens> {
  tokens ??= load().catch((e) => {
    tokens = undefined;
    throw e;
  });
  return tokens;
}

async function load(): Promise<PageTokens> {
  const cfg = pageTokenConfig();
  let secret = cfg.secret;
  if (!secret && cfg.secretParameter) secret = await (await import('../aws/ssm.ts')).readParameter(cfg.secretParameter);
  secret ??= readKeyFile(keysDir(), 'pageSecret');
  return new PageTokens(Buffer.from(secret.trim(), 'base64'), cfg.ttlSec);
}
