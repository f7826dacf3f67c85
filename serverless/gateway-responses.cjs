/**
 * API Gateway's own answers in the API's error format (docs/design.md §4), with the CORS policy's
 * headers so a page on an allowed origin can read a 401/403: 401 from the authorizer, 403 from
 * its policy, 404 for an unknown path (REST APIs call it MISSING_AUTHENTICATION_TOKEN), 429 when
 * throttled or over a usage plan's quota, 403 without a usage plan, and a generic 5xx. One definition for AWS (the resources below) and for the local
 * gateway (serverless/offline-gateway.cjs answers the same bodies and headers).
 */
const { require: tsxRequire } = require('tsx/cjs/api');

const { parseCorsOrigins } = tsxRequire('../src/lambda/config.ts', __filename);
const { fixedCorsHeaders } = tsxRequire('../src/lambda/api/cors.ts', __filename);

const GATEWAY_RESPONSES = [
  { id: 'UnauthorizedResponse', type: 'UNAUTHORIZED', status: 401, code: 'unauthorized', message: 'missing, invalid or expired bearer token' },
  // The authorizer's context says why (src/lambda/identity/policy.ts DENIALS): not granted, or disabled.
  {
    id: 'AccessDeniedResponse', type: 'ACCESS_DENIED', status: 403, code: '$context.authorizer.denyCode', message: '$context.authorizer.denyMessage',
    fallback: { code: 'forbidden', message: 'this client may not call this query' },
  },
  { id: 'NotFoundResponse', type: 'MISSING_AUTHENTICATION_TOKEN', status: 404, code: 'not_found', message: 'no such query' },
  // Over a usage plan's rate or a method throttle (docs/design.md §11: rate_limited); a token comes back within a second.
  { id: 'ThrottledResponse', type: 'THROTTLED', status: 429, code: 'rate_limited', message: 'too many requests; slow down', headers: { 'Retry-After': '1' } },
  { id: 'Default5xxResponse', type: 'DEFAULT_5XX', status: undefined, code: 'internal_error', message: 'internal error' },
  // Any other 4xx API Gateway answers itself (a body too large, a bad request line…), keeping its own status.
  { id: 'Default4xxResponse', type: 'DEFAULT_4XX', status: undefined, code: 'bad_request', message: 'the request was refused by the gateway' },
  // Usage plans (docs/design.md §11, serverless/usage-plans.cjs). API Gateway cannot compute the time to
  // 00:00 UTC: a fixed hint (the local gateway gives the exact one).
  { id: 'QuotaExceededResponse', type: 'QUOTA_EXCEEDED', status: 429, code: 'quota_exceeded', message: "this client's daily quota is used up; it resets at 00:00 UTC", headers: { 'Retry-After': '3600' } },
  // No API key for the client on this stage: the operator has not run `npm run acl -- sync --stage S` since adding it.
  { id: 'InvalidApiKeyResponse', type: 'INVALID_API_KEY', status: 403, code: 'forbidden', message: 'this client has no usage plan on this stage' },
  { id: 'RequestTooLargeResponse', type: 'REQUEST_TOO_LARGE', status: 413, code: 'request_too_large', message: 'the request is too large' },
  // The local gateway's own (API Gateway has no such response type): a method a known path does
  // not take, and request headers over Node's 16 KB (API Gateway refuses over 10 KB as DEFAULT_4XX).
  { type: 'METHOD_NOT_ALLOWED', status: 405, code: 'method_not_allowed', message: 'this path answers GET (and HEAD) only', localOnly: true },
  { type: 'REQUEST_HEADER_FIELDS_TOO_LARGE', status: 431, code: 'request_too_large', message: "the request's headers are too large", localOnly: true },
];

const body = (r) => JSON.stringify({ error: { code: r.code, message: r.message } });

/** The resources, for the origins allowed in this stage (`param:corsOrigins`). */
function resources(origins) {
  const cors = fixedCorsHeaders(origins);
  const parameters = (r) => Object.fromEntries(Object.entries({ ...cors, ...r.headers }).map(([k, v]) => [`gatewayresponse.header.${k}`, `'${v}'`]));
  return Object.fromEntries(
    GATEWAY_RESPONSES.filter((r) => !r.localOnly).map((r) => [
      r.id,
      {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: {
          RestApiId: { Ref: 'ApiGatewayRestApi' },
          ResponseType: r.type,
          ...(r.status ? { StatusCode: String(r.status) } : {}),
          ...(Object.keys(parameters(r)).length ? { ResponseParameters: parameters(r) } : {}),
          ResponseTemplates: { 'application/json': body(r) },
        },
      },
    ]),
  );
}

module.exports = async ({ resolveVariable }) => ({
  Resources: resources(parseCorsOrigins(await resolveVariable('param:corsOrigins'), 'param corsOrigins')),
});
module.exports.GATEWAY_RESPONSES = GATEWAY_RESPONSES;
module.exports.gatewayResponseBody = body;

/**
 * The body as API Gateway renders it for a request whose authorizer left `context` (the local
 * gateway's rendering of `$context.authorizer.<member>`; the member's fallback when absent).
 */
module.exports.renderGatewayResponse = (r, context) => {
  const member = (text, fallback) => {
    const m = /^\$context\.authorizer\.([A-Za-z]+)$/.exec(text);
    if (!m) return text;
    const v = context?.[m[1]];
    return typeof v === 'string' && v !== '' ? v : fallback;
  };
  return JSON.stringify({ error: { code: member(r.code, r.fallback?.code), message: member(r.message, r.fallback?.message) } });
};
