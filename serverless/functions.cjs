/**
 * serverless.yml's `functions`: one per named query of the catalog, each behind the shared token
 * authorizer. A new query is a SQL file plus its one-line functions/<name>.ts.
 * (CommonJS because the Serverless Framework loads `${file(…)}` sources with require.)
 */
const { createHash } = require('node:crypto');
const { existsSync } = require('node:fs');
const path = require('node:path');
const project = require('./project.cjs');

const root = path.resolve(__dirname, '..');

/** Header values that look like a bearer JWT; anything else is refused by API Gateway (401) before the authorizer runs. */
const BEARER_JWT = '^Bearer [-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+$';

/** Lambda names are at most 64 characters: long ones keep a readable prefix and a stable hash. */
function lambdaName(prefix, name) {
  const full = `${prefix}-${name}`;
  if (full.length <= 64) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${full.slice(0, 64 - 9)}-${hash}`;
}

module.exports = async ({ resolveVariable }) => {
  const ttl = Number(await resolveVariable('self:custom.authorizerResultTtlSeconds'));
  const prefix = `${await resolveVariable('self:service')}-${await resolveVariable('sls:stage')}`;
  const authorizer = {
    name: 'tokenAuthorizer',
    type: 'token',
    identitySource: 'method.request.header.Authorization',
    identityValidationExpression: BEARER_JWT,
    resultTtlInSeconds: ttl,
  };
  // Each function runs as its own least-privilege role (serverless/iam.yml).
  const functions = {
    tokenAuthorizer: {
      handler: 'authorizers/token.handler',
      description: 'Shared TOKEN authorizer: verifies the JWT and the access-control table',
      memorySize: 256,
      timeout: 10,
      role: 'AuthorizerRole',
    },
  };
  functions.whoami = {
    handler: 'functions/whoami.handler',
    description: 'Who the bearer token is for: client, row scope, maximum range',
    memorySize: 128,
    role: 'WhoamiRole',
    events: [{ http: { path: 'whoami', method: 'get', authorizer } }],
  };
  for (const { name } of project.queries) {
    if (!existsSync(path.join(root, 'functions', `${name}.ts`))) {
      throw new Error(`queries/${name}.sql has no functions/${name}.ts (export const handler = queryHandler('${name}'))`);
    }
    functions[name] = {
      name: lambdaName(prefix, name),
      handler: `functions/${name}.handler`,
      description: `Named query ${name}`,
      role: 'QueryRole',
      events: [{ http: { path: name, method: 'get', authorizer } }],
    };
  }
  return functions;
};
