/**
 * serverless.yml's `functions`: one per named query of the catalog, each behind the shared token
 * authorizer. A new query is a SQL file plus its one-line functions/<name>.ts.
 * (CommonJS because the Serverless Framework loads `${file(…)}` sources with require.)
 */
const { createHash } = require('node:crypto');
const { existsSync } = require('node:fs');
const path = require('node:path');
const project = require('./project.cjs');
const { require: tsxRequire } = require('tsx/cjs/api');

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
  // Usage plans (serverless/usage-plans.cjs): every authorized method requires the client's API key,
  // which the authorizer supplies. Not locally: there the handler enforces the plans itself.
  const apiKey = (await resolveVariable('sls:stage')) === 'local' ? {} : { private: true };
  // CORS (src/lambda/api/cors.ts): preflights answered by API Gateway on AWS, by serverless/offline-gateway.cjs locally.
  const cors = await corsSetting(resolveVariable);
  // Each function runs as its own least-privilege role (serverless/iam.cjs).
  const functions = {
    tokenAuthorizer: {
      handler: 'authorizers/token.handler',
      description: 'Shared TOKEN authorizer: verifies the JWT and the access-control table',
      memorySize: 256,
      timeout: 10,
      role: 'AuthorizerRole',
    },
  };
  // Every authorized route answers GET, and HEAD like GET without a body (the policy lists both).
  const authorizedRoute = (p) => ['get', 'head'].map((method) => ({ http: { path: p, method, authorizer, ...apiKey, ...(method === 'get' ? cors : {}) } }));
  functions.whoami = {
    handler: 'functions/whoami.handler',
    description: 'Who the bearer token is for: client, row scope, maximum range',
    memorySize: 128,
    role: 'WhoamiRole',
    events: authorizedRoute('whoami'),
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
      events: authorizedRoute(name),
    };
  }
  const routed = ['whoami', ...project.queries.map((q) => q.name)];
  Object.assign(functions, publicFunctions(cors, routed));
  Object.assign(functions, credentialFunctions());
  return functions;
};

// ---- The credential routes: no authorizer -----------------------------

/** POST /oauth/token and GET /.well-known/jwks.json: public, each with a role of its own. */
function credentialFunctions() {
  // On AWS the token route also has a method throttle of its own: serverless/method-throttling.cjs.
  return {
    oauthToken: {
      handler: 'functions/oauth_token.handler',
      description: 'OAuth 2.0 client credentials (RFC 6749 §4.4): client secret → access token signed by KMS',
      memorySize: 256,
      timeout: 10,
      role: 'TokenRole',
      events: [{ http: { path: 'oauth/token', method: 'post' } }],
    },
    jwks: {
      handler: 'functions/jwks.handler',
      description: 'The public keys the authorizer accepts, as a JWK Set (RFC 7517)',
      memorySize: 128,
      timeout: 10,
      role: 'JwksRole',
      events: [{ http: { path: '.well-known/jwks.json', method: 'get' } }, { http: { path: '.well-known/jwks.json', method: 'head' } }],
    },
  };
}

// ---- The public routes: no authorizer -------------------------------

/**
 * The http events' `cors` for the stage's allowed origins (`param:corsOrigins`, from
 * LAKEGATE_CORS_ORIGINS). None locally: there the plugin answers preflights, so hapi adds no
 * CORS handling of its own.
 */
async function corsSetting(resolveVariable) {
  const { parseCorsOrigins } = tsxRequire('../src/lambda/config.ts', __filename);
  const cors = tsxRequire('../src/lambda/api/cors.ts', __filename);
  const origins = parseCorsOrigins(await resolveVariable('param:corsOrigins'), 'param corsOrigins');
  if (origins.length === 0 || (await resolveVariable('sls:stage')) === 'local') return {};
  return {
    cors: {
      origins,
      headers: [...cors.CORS_ALLOWED_HEADERS],
      methods: [...cors.CORS_ALLOWED_METHODS, 'OPTIONS'],
      allowCredentials: false,
      maxAge: cors.CORS_MAX_AGE_SECONDS,
    },
  };
}

/**
 * GET (and HEAD) /openapi.json, /docs, /playground and their assets, the API's root and its OAuth
 * metadata: one small function, its files packaged with it. It also answers what no other route
 * takes: `ANY /{proxy+}` (a 404 naming the path probably meant) and every other method on the
 * paths above and on `routed` (the authorized routes) and /oauth/token (405 with Allow), so API
 * Gateway's own MISSING_AUTHENTICATION_TOKEN never answers a client.
 */
function publicFunctions(cors, routed) {
  const { PUBLIC_FILES } = tsxRequire('../src/lambda/pages/assets.ts', __filename);
  const pages = ['openapi.json', 'docs', 'docs/{asset}', 'playground', 'playground/{asset}', '.well-known/oauth-authorization-server'];
  const route = (p, method) => ({ http: { path: p, method, ...(method === 'get' ? cors : {}) } });
  return {
    public: {
      handler: 'functions/public.handler',
      description: 'Public routes: the OpenAPI document, the reference page, the playground; 404 and 405 answers',
      memorySize: 256,
      timeout: 10,
      role: 'PublicRole',
      package: { patterns: [...PUBLIC_FILES] },
      events: [
        route('/', 'get'),
        route('/', 'head'),
        ...pages.flatMap((p) => [route(p, 'get'), route(p, 'head')]),
        ...[...pages, ...routed, 'oauth/token', '.well-known/jwks.json'].map((p) => route(p, 'any')),
        route('{proxy+}', 'any'),
      ],
    },
  };
}
