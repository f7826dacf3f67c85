/**
 * Local plugin: makes serverless-offline's gateway answer like the deployed API Gateway, and
 * keeps the authorizer the only way into a handler. Only the `offline` command loads it into
 * effect; packaging and deploying are untouched. Nothing of serverless-offline is copied or
 * patched on disk: it hooks the hapi servers serverless-offline creates (CommonJS: one hapi
 * module per resolved path, so patching its Server prototype reaches them).
 *
 * - One door. serverless-offline also serves the Lambda Invoke API on `lambdaPort` (3002), which
 *   runs any function with any event, an authorizer context the caller makes up included, and
 *   answers CORS for any origin. That server never listens here. The authorizer's context is
 *   sealed with a key made at each start (src/lambda/identity/context-seal.ts), and a handler running
 *   under serverless-offline refuses a context without a valid seal.
 * - CORS. serverless-offline 14 reflects any Origin with `Access-Control-Allow-Credentials: true`
 *   on every answer, with no option to turn it off. Its hook is replaced by the API's policy
 *   (src/lambda/api/cors.ts: the allow-list of LAKEGATE_CORS_ORIGINS, no credentials), on every answer
 *   and every preflight, including its catch-all route and hapi's own preflight handling.
 * - The gateway's own errors. The authorizer's 401/403, unknown paths, wrong methods, oversized
 *   requests and gateway 5xx get the API's error bodies (serverless/gateway-responses.cjs).
 * - Quiet and ready. Requests are not narrated by serverless-offline (SLS_LOG_LEVEL, set by the
 *   gateway launcher, harness/gateway.ts); the plugin prints one line when it is serving.
 * - In-process code reloads. Handlers run in serverless-offline's process (`useInProcess`):
 *   after serverless-esbuild rebuilds, the old bundles are dropped from Node's module cache and
 *   the process-wide engine is let go (src/lambda/process-shared.ts), so the next request runs new code.
 */
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { require: tsxRequire } = require('tsx/cjs/api');

const { corsConfig } = tsxRequire('../src/lambda/config.ts', __filename);
const { corsHeaders } = tsxRequire('../src/lambda/api/cors.ts', __filename);
// The process-wide state every function bundle shares (globalThis), read through the modules that own it.
const { recallAnswer } = tsxRequire('../src/lambda/identity/offline-answers.ts', __filename);
const { releaseProcessShared } = tsxRequire('../src/lambda/process-shared.ts', __filename);
const { GATEWAY_RESPONSES, gatewayResponseBody, renderGatewayResponse } = require('./gateway-responses.cjs');

const byType = (type) => GATEWAY_RESPONSES.find((r) => r.type === type);
const byStatus = (status) => GATEWAY_RESPONSES.find((r) => r.status === status);

/** serverless-offline's own CORS hook, recognised by what it does. */
const isOfflineCorsHook = (event, method) =>
  event === 'onPreResponse' && typeof method === 'function' && /access-control-allow-credentials/.test(String(method));

/** The Lambda Invoke API's routes (`POST /2015-03-31/functions/{functionName}/invocations`, invoke-async). */
const isLambdaInvokeRoute = (route) => /^\/\d{4}-\d{2}-\d{2}\/functions\//.test(String(route?.path ?? ''));

/** Replace every CORS header of an answer by `headers` (a Vary already there is kept, not repeated). */
function setHeaders(target, headers) {
  for (const name of Object.keys(target)) if (name.toLowerCase().startsWith('access-control-')) delete target[name];
  for (const [name, value] of Object.entries(headers)) {
    const existing = Object.keys(target).find((k) => k.toLowerCase() === name.toLowerCase());
    if (name === 'Vary' && existing) {
      if (!String(target[existing]).toLowerCase().split(/\s*,\s*/).includes('origin')) target[existing] = `${target[existing]}, ${value}`;
    } else {
      if (existing) delete target[existing];
      target[name.toLowerCase()] = value;
    }
  }
}

/** serverless-offline's own catch-all route (its 404s are the gateway's). */
const isCatchAll = (route) => route?.method === '*' && route?.path === '/{p*}';
/** A route taking any path: that catch-all, or the public function's `ANY /{proxy+}`. */
const takesAnyPath = (route) => isCatchAll(route) || (route?.method === '*' && route?.path === '/{proxy*}');

/** The authorizer's context for this request's token (src/lambda/identity/offline-answers.ts), if it left one. */
const authorizerAnswer = (request) => recallAnswer(request.headers.authorization);

/** A path that has a GET route of the API (a named query, /whoami, a public page). */
const knownGetPath = (request) => {
  const route = request.server.match('get', request.path);
  return route !== null && !takesAnyPath(route);
};

/** A gateway answer in the API's error format, with the policy's CORS headers for this request. */
function gatewayAnswer(h, request, gateway, status, extraHeaders = {}) {
  const body = status === 403 ? renderGatewayResponse(gateway, authorizerAnswer(request)) : gatewayResponseBody(gateway);
  const r = h.response(body).code(status).type('application/json');
  for (const [name, value] of Object.entries({ ...gateway.headers, ...extraHeaders })) r.header(name, value);
  setHeaders(r.headers, corsHeaders(request.headers.origin, corsConfig().origins));
  return r.takeover();
}

/**
 * The API Gateway answer to this request when the local gateway's answer is its own (not a
 * Lambda's): the authorizer's 401/403, a path without a route, a method a route does not take.
 */
function gatewayResponseFor(request) {
  const response = request.response;
  if (isCatchAll(request.route) && response.statusCode === 404) {
    // A known path asked with another method: 405 with Allow (API Gateway, which has no 405 of its
    // own, answers MISSING_AUTHENTICATION_TOKEN there; its message says the API answers GET).
    return knownGetPath(request) ? { gateway: byType('METHOD_NOT_ALLOWED'), status: 405, headers: { Allow: 'GET, HEAD' } } : { gateway: byStatus(404), status: 404 };
  }
  if (response.isBoom) {
    const status = response.output.statusCode;
    if (status >= 500) return { gateway: byType('DEFAULT_5XX'), status };
    return { gateway: byStatus(status) ?? byType('DEFAULT_4XX'), status };
  }
  return undefined;
}

/**
 * Every answer of the local HTTP server passes here (it replaces serverless-offline's CORS
 * hook). Preflights are answered as API Gateway's OPTIONS methods answer them on AWS: on a route
 * of the API when origins are allowed, with CORS headers only for a listed origin; anywhere
 * else like an unknown route. A Lambda's answer keeps exactly its own headers (API Gateway
 * passes them through), which the handlers build for the request's Origin.
 */
function lakegateGateway(request, h) {
  // hapi's own CORS (serverless-offline gives its catch-all route one) must add nothing after us.
  request.info.cors = { isOriginMatch: false };
  const allowed = corsConfig().origins;
  if (request.method === 'options') {
    if (allowed.length > 0 && knownGetPath(request)) {
      const preflight = request.headers['access-control-request-method'] !== undefined;
      const r = h.response().code(200);
      setHeaders(r.headers, preflight ? corsHeaders(request.headers.origin, allowed, true) : corsHeaders(request.headers.origin, allowed));
      return r.takeover();
    }
    return gatewayAnswer(h, request, byStatus(404), 404);
  }
  const answer = gatewayResponseFor(request);
  if (answer) return gatewayAnswer(h, request, answer.gateway, answer.status ?? answer.gateway.status, answer.headers);
  return h.continue;
}

/**
 * Replaces hapi's handler of requests Node's parser refuses (headers over Node's 16 KB, a
 * malformed request line), which writes a bare `400 Bad Request` with no body, by the API's
 * JSON error: 431 `request_too_large` for oversized headers, 400 otherwise.
 */
function answerParserErrors(listener) {
  listener.removeAllListeners('clientError');
  listener.on('clientError', (err, socket) => {
    if (!socket.writable) return socket.destroy(err);
    const gateway = err.code === 'HPE_HEADER_OVERFLOW' ? byType('REQUEST_HEADER_FIELDS_TOO_LARGE') : byType('DEFAULT_4XX');
    const status = gateway.status ?? 400;
    const body = gatewayResponseBody(gateway);
    const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

class OfflineGateway {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options ?? {};
    this.hooks = {
      'before:offline:start:init': () => this.install(),
      'before:offline:start': () => this.install(),
      'before:offline:start:ready': () => this.ready(),
      'offline:functionsUpdated:cleanup': () => this.reload(),
    };
  }

  async install() {
    if (OfflineGateway.installed) return;
    OfflineGateway.installed = true;
    const offlineDir = path.join(this.serverless.serviceDir ?? process.cwd(), 'node_modules', 'serverless-offline');
    await this.quiet(offlineDir);
    // The key that seals the authorizer's context for this start: every function gets it, and
    // nothing outside this process has it.
    const environment = (this.serverless.service.provider.environment ??= {});
    environment.LAKEGATE_AUTHORIZER_SEAL_KEY = randomBytes(32).toString('base64');
    // The hapi instance serverless-offline itself loads.
    const hapi = require(require.resolve('@hapi/hapi', { paths: [offlineDir] }));
    const prototype = Object.getPrototypeOf(hapi.server({ autoListen: false }));
    const { ext, route, start } = prototype;
    const closed = new WeakSet();
    prototype.ext = function (event, method, options) {
      if (isOfflineCorsHook(event, method)) {
        OfflineGateway.replaced = true;
        answerParserErrors(this.listener);
        return ext.call(this, event, lakegateGateway, options);
      }
      return ext.apply(this, arguments);
    };
    prototype.route = function (routes) {
      if ([].concat(routes).some(isLambdaInvokeRoute)) {
        closed.add(this); // the Lambda Invoke API: no route, and its server never listens
        OfflineGateway.invokeClosed = true;
        return undefined;
      }
      return route.apply(this, arguments);
    };
    prototype.start = function () {
      if (closed.has(this)) return Promise.resolve();
      return start.apply(this, arguments);
    };
  }

  /**
   * serverless-offline's start-up box lists a Lambda Invoke route beside every HTTP route (closed
   * here), and it reports a request without an Authorization header as an error: a routine 401.
   * The routes are printed by ready() instead, and that report is demoted to its info level.
   * (Its ES modules are singletons: importing them here reaches the instances it uses.)
   */
  async quiet(offlineDir) {
    const load = (file) => import(pathToFileURL(path.join(offlineDir, 'src', file)).href);
    const [{ default: HttpServer }, { log }] = await Promise.all([load('events/http/HttpServer.js'), load('utils/log.js')]);
    HttpServer.prototype.writeRoutesTerminal = () => {};
    const error = log.error;
    log.error = (...args) => (/^Identity Source is null for header/.test(String(args[0])) ? log.info(...args) : error(...args));
  }

  /** Fail closed: never serve with serverless-offline's reflect-any-origin CORS or its invoke port. */
  ready() {
    if (!OfflineGateway.replaced) {
      throw new Error("serverless/offline-gateway.cjs: serverless-offline's CORS hook was not found; refusing to serve with its default (any origin, with credentials)");
    }
    if (!OfflineGateway.invokeClosed) {
      throw new Error("serverless/offline-gateway.cjs: serverless-offline's Lambda Invoke API was not found to close; refusing to serve a second way into the handlers");
    }
    const custom = this.serverless.service.custom?.['serverless-offline'] ?? {};
    const host = this.options.host ?? custom.host ?? 'localhost';
    const port = this.options.httpPort ?? custom.httpPort ?? 3000;
    const base = `http://${host}:${port}`;
    const authorized = Object.values(this.serverless.service.functions ?? {})
      .flatMap((f) => (f.events ?? []).map((e) => e.http).filter((http) => http?.authorizer !== undefined && http.method === 'get'))
      .map((http) => `/${http.path}`);
    console.log(
      `lakegate gateway ready on ${base} (Ctrl-C to stop)\n` +
        `  with a bearer token: GET ${authorized.join(' ')}\n` +
        '  public: POST /oauth/token, GET /openapi.json /docs /playground /.well-known/jwks.json /.well-known/oauth-authorization-server',
    );
  }

  /** After a rebuild: the next request loads the new bundles and starts a new engine. */
  reload() {
    const build = path.resolve(this.serverless.serviceDir ?? process.cwd(), process.env.LAKEGATE_BUILD_DIR ?? '.esbuild');
    for (const file of Object.keys(require.cache)) if (file.startsWith(`${build}${path.sep}`)) delete require.cache[file];
    releaseProcessShared();
  }
}

module.exports = OfflineGateway;
