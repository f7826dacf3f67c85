/**
 * The project's TypeScript facts (lake tables, named queries) for serverless.yml's `${file()}`
 * sources, which the Serverless Framework loads with require: one definition, read through tsx.
 */
const { require: tsxRequire } = require('tsx/cjs/api');

const layout = tsxRequire('../src/lambda/lake/layout.ts', __filename);
const { catalog } = tsxRequire('../src/lambda/catalog.ts', __filename);

/** `count_orders_by_range` → `CountOrdersByRange` (CloudFormation logical ids are alphanumeric). */
const pascal = (name) => name.split(/[^a-zA-Z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

module.exports = {
  lakeTables: layout.LAKE_TABLES.map((t) => t.name),
  accessControl: layout.ACCESS_CONTROL,
  accessControlKey: layout.accessControlKey,
  queries: [...catalog().values()],
  pascal,
  /** Requests per second (and burst) API Gateway lets through to POST /oauth/token on AWS. */
  TOKEN_ROUTE_THROTTLE: { ratePerSecond: 10, burst: 20 },
};
