/**
 * The plans of src/lambda/limits/plans.json as API Gateway usage plans, for serverless.yml:
 *
 * - `usagePlan` → `provider.apiGateway.usagePlan`: the framework makes one
 *   AWS::ApiGateway::UsagePlan per plan (`lakegate-<plan>-<stage>`: throttle = rate and burst,
 *   quota = requests per DAY), linked to the API's stage, and makes each depend on the API's
 *   deployment so the stage exists when the plan is created (a plain resource could not name the
 *   deployment, whose logical id changes on every deploy).
 * The gateway's answers when a usage plan refuses a request (429 `quota_exceeded`, 403 without
 * an API key) are in serverless/gateway-responses.cjs with the others, CORS headers included.
 *
 * Each client's API key comes from the authorizer (`usageIdentifierKey`; the REST API's API key
 * source is AUTHORIZER) and is attached to its plan by `npm run acl -- sync`.
 */
const { plans } = require('../src/lambda/limits/plans.json');

const usagePlan = plans.map((p) => ({
  [p.name]: {
    throttle: { rateLimit: p.ratePerSecond, burstLimit: p.burst },
    quota: { limit: p.quotaPerDay, period: 'DAY' },
  },
}));

module.exports = { usagePlan };
