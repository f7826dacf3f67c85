/**
 * The token authorizer: verify the bearer token (401 on any defect), then decide from the
 * access table (403 for unknown/disabled clients, Allow listing exactly the granted methods).
 * Every internal failure — keys or access table unavailable, an unexpected methodArn — denies.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { AclCache } from '../acl/cache.ts';
import { FileAclStore, type AclStore } from '../acl/store.ts';
import { accessControlKey } from '../lake/layout.ts';
import { catalog } from '../catalog.ts';
import { authConfig, keysDir, lakeDir } from '../config.ts';
import { readKeyFile } from '../keys.ts';
import { errorFields, log } from '../log.ts';
import { decide, denyAll, toAuthorizerResult, type Decision } from './policy.ts';
import { bearerToken, publicVerificationKey, sharedSecretKey, Unauthorized, verifyToken, type TokenPolicy, type VerificationKey } from './token.ts';

export class Authorizer {
  constructor(
    private readonly keys: ReadonlyMap<string, VerificationKey>,
    private readonly policy: TokenPolicy,
    private readonly acl: AclCache,
    private readonly queryNames: readonly string[],
  ) {}

  /** Throws Unauthorized for a bad token; otherwise Allow or Deny. */
  async decide(authorization: string | undefined, methodArn: string, nowSec?: number): Promise<Decision> {
    const token = bearerToken(authorization, this.policy.maxTokenBytes);
    const { clientId } = verifyToken(token, this.keys, this.policy, nowSec);
    return decide(clientId, await this.acl.table(), this.queryNames, methodArn);
  }
}

/** The key ring from configuration: inline PEM, SSM parameter, or the local key file. */
async function loadKeys(): Promise<Map<string, VerificationKey>> {
  const cfg = authConfig();
  const keys: VerificationKey[] = [];
  if (cfg.hs256Secret) keys.push(sharedSecretKey(cfg.hs256Secret));
  else {
    let pem = cfg.publicKeyPem;
    if (!pem && cfg.publicKeyParameter) pem = await (await import('../aws/ssm.ts')).readParameter(cfg.publicKeyParameter);
    pem ??= readKeyFile(keysDir(), 'publicKey');
    keys.push(publicVerificationKey(pem));
  }
  return new Map(keys.map((k) => [k.kid, k]));
}

async function aclStore(): Promise<AclStore> {
  const uri = authConfig().aclS3Uri;
  if (uri) return (await import('../acl/s3-store.ts')).S3AclStore.fromUri(uri);
  return new FileAclStore(`${lakeDir()}/${accessControlKey}`);
}

export async function createAuthorizer(): Promise<Authorizer> {
  const cfg = authConfig();
  const acl = new AclCache(await aclStore(), { ttlMs: cfg.aclTtlMs, maxStaleMs: cfg.aclMaxStaleMs, readTimeoutMs: cfg.aclReadTimeoutMs });
  return new Authorizer(await loadKeys(), cfg, acl, [...catalog().keys()]);
}

/** The Lambda handler around an Authorizer (created once per cold start, retried if that failed). */
export function tokenAuthorizerHandler(create: () => Promise<Authorizer> = createAuthorizer) {
  let authorizer: Promise<Authorizer> | undefined;
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    let decision: Decision;
    try {
      authorizer ??= create().catch((e) => {
        authorizer = undefined;
        throw e;
      });
      decision = await (await authorizer).decide(event.authorizationToken, event.methodArn);
    } catch (e) {
      if (e instanceof Unauthorized) {
        log.info('token refused', { reason: e.reason });
        throw new Error('Unauthorized'); // the exact message API Gateway turns into 401
      }
      log.error('authorizer failure: denying', errorFields(e));
      decision = denyAll(event.methodArn, null, 'internal failure');
    }
    log.info('authorizer decision', {
      effect: decision.effect,
      clientId: decision.clientId,
      ...(decision.effect === 'Deny' ? { reason: decision.reason } : { methods: decision.resources.length }),
    });
    return toAuthorizerResult(decision);
  };
}
