/**
 * Local plugin: makes serverless-offline's gateway answer like the deployed API Gateway on the
 * two points where its defaults differ from our template:
 *
 * - CORS. serverless-offline 14 adds an `onPreResponse` hook to its HTTP server that reflects
 *   any Origin with `Access-Control-Allow-Credentials: true` on every answer of a REST (`http`)
 *   route, with no option to turn it off. This plugin puts the API's own policy
 *   (src/http/cors.ts: the allow-list of LAKEGATE_CORS_ORIGINS, no credentials) in its place.
 * - The gateway's own errors. The authorizer's 401/403, unknown paths and gateway 5xx get the
 *   bodies and headers of serverless/gateway-responses.cjs instead of hapi's.
 *
 * It replaces serverless-offline's hook when the HTTP server registers it (hapi's
 * `server.ext`), so nothing of serverless-offline is copied or patched on disk. Only the
 * `offline` command loads it into effect; packaging and deploying are untouched.
 */
const path = require('node:path');
const { require: tsxRequire } = require('tsx/cjs/api');

const { corsConfig } = tsxRequire('../src/config.ts', __filename);
const { corsHeaders, fixedCorsHeaders } = tsxRequire('../src/http/cors.ts', __filename);
const { GATEWAY_RESPONSES, gatewayResponseBody } = require('./gateway-responses.cjs');

const byStatus = (status) => GATEWAY_RESPONSES.find((r) => r.status === status);
const DEFAULT_5XX = GATEWAY_RESPONSES.find((r) => r.type === 'DEFAULT_5XX');
const DEFAULT_4XX = GATEWAY_RESPONSES.find((r) => r.type === 'DEFAULT_4XX');

/** serverless-offline's own CORS hook, recognised by what it does. */
const isOfflineCorsHook = (event, method) =>
  event === 'onPreResponse' && typeof method === 'function' && /access-control-allow-credentials/.test(String(method));

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

/** serverless-offline's catch-all route, which answers unknown paths (and, here, every OPTIONS). */
const isCatchAll = (route) => route?.method === '*' && route?.path === '/{p*}';

/** The API Gateway resource answering this request, if the local gateway's answer is its own. */
function gatewayResponseFor(request) {
  const response = request.response;
  if (response.isBoom) {
    const status = response.output.statusCode;
    return status >= 500 ? DEFAULT_5XX : (byStatus(status) ?? DEFAULT_4XX);
  }
  if (isCatchAll(request.route) && response.statusCode === 404) return byStatus(404);
  return undefined;
}

/**
 * Preflights are answered here, as API Gateway's OPTIONS methods answer them on AWS (the local
 * routes have no `cors` setting, so hapi adds no CORS handling of its own).
 */
function lakegateGateway(request, h) {
  // hapi's own CORS (serverless-offline gives its catch-all route one) must add nothing after us.
  request.info.cors = { isOriginMatch: false };
  const allowed = corsConfig().origins;
  const origin = request.headers.origin;
  const preflight = request.method === 'options' && request.headers['access-control-request-method'] !== undefined;
  if (preflight && allowed.length > 0 && !isCatchAll(request.server.match('get', request.path))) {
    const r = h.response().code(200);
    setHeaders(r.headers, corsHeaders(origin, allowed, true));
    return r.takeover();
  }
  const gateway = gatewayResponseFor(request);
  if (gateway) {
    const status = gateway.status ?? request.response.output.statusCode;
    const r = h.response(gatewayResponseBody(gateway)).code(status).type('application/json');
    setHeaders(r.headers, fixedCorsHeaders(allowed));
    return r.takeover();
  }
  // A Lambda's answer: exactly its own headers, as API Gateway passes them through on AWS.
  return h.continue;
}

class OfflineGateway {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:offline:start:init': () => this.install(),
      'before:offline:start': () => this.install(),
      'before:offline:start:ready': () => this.verify(),
    };
  }

  /** Fail closed: never serve with serverless-offline's reflect-any-origin CORS if its hook changed shape. */
  verify() {
    if (!OfflineGateway.replaced) {
      throw new Error("serverless/offline-gateway.cjs: serverless-offline's CORS hook was not found; refusing to serve with its default (any origin, with credentials)");
    }
  }

  install() {
    if (OfflineGateway.installed) return;
    OfflineGateway.installed = true;
    // The hapi instance serverless-offline itself loads (CommonJS: one module per resolved path).
    const offlineDir = path.join(this.serverless.serviceDir ?? process.cwd(), 'node_modules', 'serverless-offline');
    const hapi = require(require.resolve('@hapi/hapi', { paths: [offlineDir] }));
    const prototype = Object.getPrototypeOf(hapi.server({ autoListen: false }));
    const ext = prototype.ext;
    prototype.ext = function (event, method, options) {
      if (isOfflineCorsHook(event, method)) {
        OfflineGateway.replaced = true;
        return ext.call(this, event, lakegateGateway, options);
      }
      return ext.apply(this, arguments);
    };
  }
}

module.exports = OfflineGateway;
