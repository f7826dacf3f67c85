/**
 * What a real deploy's first requests would show, evaluated offline: every role of the packaged
 * prod template against one table of (role, action, resource, context, allow/deny). A new
 * statement or a new role is a row here. The evaluator is @cloud-copilot/iam-simulate (see
 * test/helpers/iam.ts); the template's intrinsics are resolved as in a made-up account.
 */
import { expect } from 'chai';
import { FACT_TABLES, LAKE_TABLES, accessControlKey } from '../../src/lambda/lake/layout.ts';
import { describeFailures, evaluateIamTable, type IamCase } from '../helpers/iam.ts';
import { copyOf, packagedTemplate, type Template } from '../helpers/template.ts';

const A = 'arn:aws';
const REGION_ACCOUNT = 'us-east-1:123456789012';
const athena = (wg: string) => `${A}:athena:${REGION_ACCOUNT}:workgroup/${wg}`;
const glue = (rest: string) => `${A}:glue:${REGION_ACCOUNT}:${rest}`;
const ssm = (name: string) => `${A}:ssm:${REGION_ACCOUNT}:parameter/lakegate/prod/${name}`;
const logs = (group: string) => `${A}:logs:${REGION_ACCOUNT}:log-group:${group}:log-stream:2026/11/27/[$LATEST]abc`;
const data = (key = '') => `${A}:s3:::{DataBucket}${key === '' ? '' : `/${key}`}`;
const results = (key = '') => `${A}:s3:::{ResultsBucket}${key === '' ? '' : `/${key}`}`;
const key = (logical: string) => `${A}:kms:${REGION_ACCOUNT}:key/{${logical}}`;
const credentials = (k = 'client_secrets.jsonl') => `${A}:s3:::{CredentialsBucket}${k === '' ? '' : `/${k}`}`;
const DB = 'lakegate_prod';
/** Every role but the token function's: none may sign tokens or read client secrets. */
const NOT_TOKEN_ROLES = ['QueryRole', 'AuthorizerRole', 'WhoamiRole', 'CrawlerRole', 'JwksRole', 'PublicRole'];
const tables = LAKE_TABLES.map((t) => t.name);
const partition = (table: string) => (FACT_TABLES.some((f) => f === table) ? `${table}/dt=2024-03-01/` : `${table}/`);

const allow = (role: string, action: string, resource: string, why: string, context?: IamCase['context']): IamCase => ({ role, action, resource, why, expect: 'allow', ...(context ? { context } : {}) });
const deny = (role: string, action: string, resource: string, why: string, context?: IamCase['context']): IamCase => ({ role, action, resource, why, expect: 'deny', ...(context ? { context } : {}) });

/** The IAM table: every request a role must be able to make, and the ones it must never make. */
export const IAM_TABLE: readonly IamCase[] = [
  // ── query functions: Athena's path over the lake (AWS: Athena needs these of the caller) ──
  ...['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'].map((a) =>
    allow('QueryRole', a, athena('lakegate-prod'), 'runs and reads its queries in the stage workgroup')),
  deny('QueryRole', 'athena:StartQueryExecution', athena('primary'), 'never another workgroup (no cost guard, other result location)'),
  deny('QueryRole', 'athena:StartQueryExecution', athena('lakegate-dev'), "never another stage's workgroup"),
  allow('QueryRole', 'glue:GetDatabase', glue(`database/${DB}`), 'Athena resolves the database'),
  allow('QueryRole', 'glue:GetDatabase', glue('catalog'), 'Athena reads through the account catalog'),
  ...tables.flatMap((t) => [
    allow('QueryRole', 'glue:GetTable', glue(`table/${DB}/${t}`), `Athena reads table ${t}`),
    allow('QueryRole', 'glue:GetPartitions', glue(`table/${DB}/${t}`), `Athena prunes ${t}'s dt partitions`),
    allow('QueryRole', 's3:ListBucket', data(), `Athena lists ${t}'s partition prefix`, { 's3:prefix': partition(t) }),
    allow('QueryRole', 's3:GetObject', data(`${partition(t)}part-0.parquet`), `Athena reads ${t}'s parquet`),
  ]),
  allow('QueryRole', 's3:GetBucketLocation', data(), 'Athena asks the source bucket its region (the request has no s3:prefix)'),
  allow('QueryRole', 's3:GetBucketLocation', results(), 'Athena asks the results bucket its region'),
  allow('QueryRole', 's3:PutObject', results('athena/0f1e2d.csv'), 'Athena writes the result'),
  allow('QueryRole', 's3:GetObject', results('athena/0f1e2d.csv'), 'result reuse and paging read it back'),
  allow('QueryRole', 's3:ListBucket', results(), 'Athena checks the result location', { 's3:prefix': 'athena/' }),
  allow('QueryRole', 'ssm:GetParameter', ssm('page-token-secret'), 'seals nextToken cursors'),
  allow('QueryRole', 'ssm:GetParameter', ssm('pseudonym-secret'), "keys the pseudonyms of recipients' personal data (docs/privacy.md)"),
  deny('QueryRole', 'ssm:PutParameter', ssm('pseudonym-secret'), 'never rotates it (operators do)'),
  allow('QueryRole', 's3:GetObject', data('rollups.json'), "reads the rollups' freshness record (Athena engine)"),
  deny('QueryRole', 's3:PutObject', data('rollups.json'), 'never writes the freshness record (operators rebuild rollups)'),
  deny('QueryRole', 's3:PutObject', data('orders_daily/dt=2024-03-01/part-0.parquet'), 'never writes rollups'),
  allow('QueryRole', 's3:ListBucket', data(), "lists a month of a fact table's objects (rollup freshness)", { 's3:prefix': 'orders/dt=2024-03' }),
  allow('QueryRole', 's3:ListBucket', data(), "lists a month of a rollup table's objects (rollup freshness)", { 's3:prefix': 'orders_daily/dt=2024-03' }),
  deny('QueryRole', 'glue:GetTable', glue(`table/${DB}/access_control`), 'never the access table'),
  deny('QueryRole', 's3:GetObject', data(accessControlKey), 'never the access table'),
  deny('QueryRole', 's3:ListBucket', data(), 'never lists the access table', { 's3:prefix': 'access_control/' }),
  deny('QueryRole', 's3:ListBucket', data(), 'no listing of the whole bucket beyond the lake tables', { 's3:prefix': 'unrelated/' }),
  deny('QueryRole', 's3:PutObject', data('orders/dt=2024-03-01/part-0.parquet'), 'never writes lake data'),
  deny('QueryRole', 's3:DeleteObject', data('orders/dt=2024-03-01/part-0.parquet'), 'never deletes lake data'),
  deny('QueryRole', 'glue:CreateTable', glue(`database/${DB}`), 'never writes the catalog'),
  deny('QueryRole', 'ssm:GetParameter', ssm('jwt-public-key'), "not the authorizer's key"),
  deny('QueryRole', 's3:GetObject', data(`orders/dt=2024-03-01/part-0.parquet`), 'TLS only (bucket policy)', { 'aws:SecureTransport': 'false' }),

  // ── the token authorizer: the access table and its verification key, nothing of the lake ──
  allow('AuthorizerRole', 's3:GetObject', data(accessControlKey), 'reads the access table directly from S3 (docs/design.md §5)'),
  allow('AuthorizerRole', 'ssm:GetParameter', ssm('jwt-public-key'), 'verifies operator-minted tokens'),
  allow('AuthorizerRole', 'logs:PutLogEvents', logs('/aws/lambda/lakegate-prod-tokenAuthorizer'), 'logs its decisions'),
  deny('AuthorizerRole', 's3:GetObject', data('orders/dt=2024-03-01/part-0.parquet'), 'never reads lake data'),
  deny('AuthorizerRole', 's3:PutObject', data(accessControlKey), 'never writes the access table'),
  deny('AuthorizerRole', 'athena:StartQueryExecution', athena('lakegate-prod'), 'never runs queries'),
  deny('AuthorizerRole', 'ssm:GetParameter', ssm('page-token-secret'), 'not the query functions\' secret'),

  // ── whoami: its logs only ──
  allow('WhoamiRole', 'logs:PutLogEvents', logs('/aws/lambda/lakegate-prod-whoami'), 'logs'),
  deny('WhoamiRole', 's3:GetObject', data(accessControlKey), 'reads nothing'),
  deny('WhoamiRole', 'athena:StartQueryExecution', athena('lakegate-prod'), 'runs nothing'),

  // ── Glue crawlers: read the lake, write the catalog and their logs, never write data ──
  allow('CrawlerRole', 's3:ListBucket', data(), 'lists the lake', { 's3:prefix': 'orders/' }),
  allow('CrawlerRole', 's3:GetBucketLocation', data(), 'finds the bucket region'),
  allow('CrawlerRole', 's3:GetObject', data('orders/dt=2024-03-01/part-0.parquet'), 'reads schemas'),
  allow('CrawlerRole', 's3:GetObject', data(accessControlKey), 'catalogs the access table'),
  allow('CrawlerRole', 'glue:GetDatabase', glue(`database/${DB}`), 'finds its database'),
  ...['glue:CreateTable', 'glue:UpdateTable', 'glue:GetTable', 'glue:BatchCreatePartition', 'glue:GetPartitions', 'glue:BatchUpdatePartition'].map((a) =>
    allow('CrawlerRole', a, glue(`table/${DB}/orders`), 'registers tables and dt partitions')),
  allow('CrawlerRole', 'logs:PutLogEvents', logs('/aws-glue/crawlers'), 'writes its run log'),
  deny('CrawlerRole', 's3:PutObject', data('orders/dt=2024-03-01/part-0.parquet'), 'never writes data'),
  deny('CrawlerRole', 's3:DeleteObject', data('orders/dt=2024-03-01/part-0.parquet'), 'never deletes data'),
  deny('CrawlerRole', 'glue:DeleteTable', glue(`table/${DB}/orders`), 'schema changes are logged, never destructive'),
  deny('CrawlerRole', 'glue:CreateTable', glue('table/lakegate_dev/orders'), "never another stage's database"),

  // ── the token endpoint (docs/design.md §9): signs with KMS, reads the hashed secrets and the access table ──
  allow('TokenRole', 'kms:Sign', key('SigningKeyA'), 'signs access tokens with the current key'),
  allow('TokenRole', 'kms:GetPublicKey', key('SigningKeyA'), "names the key's kid at cold start"),
  allow('TokenRole', 's3:GetObject', credentials(), 'authenticates clients against their hashed secrets'),
  allow('TokenRole', 's3:GetObject', data(accessControlKey), 'checks the client is enabled and its grants'),
  allow('TokenRole', 'logs:PutLogEvents', logs('/aws/lambda/lakegate-prod-oauthToken'), 'logs issues and failures (never secrets)'),
  deny('TokenRole', 's3:PutObject', credentials(), 'never writes secrets (operators do, with npm run acl)'),
  deny('TokenRole', 's3:GetObject', data('orders/dt=2024-03-01/part-0.parquet'), 'never reads lake data'),
  deny('TokenRole', 'kms:Decrypt', key('SigningKeyA'), 'the key is for signing only'),
  deny('TokenRole', 'athena:StartQueryExecution', athena('lakegate-prod'), 'runs no query'),
  // ── the JWK Set: public keys only ──
  allow('JwksRole', 'kms:GetPublicKey', key('SigningKeyA'), 'publishes the signing key'),
  allow('JwksRole', 'ssm:GetParameter', ssm('jwt-public-key'), "publishes the operator's verification key"),
  deny('JwksRole', 's3:GetObject', credentials(), 'never reads secrets'),
  allow('AuthorizerRole', 'kms:GetPublicKey', key('SigningKeyA'), 'verifies tokens the token endpoint signed'),
  // ── usage plans (docs/design.md §11): the authorizer derives each client's API key from a stage secret ──
  allow('AuthorizerRole', 'ssm:GetParameter', ssm('usage-key-secret'), "derives the client's usageIdentifierKey"),
  // (Decrypt through SSM is scoped by kms:EncryptionContext:PARAMETER_ARN, a key the evaluator
  // does not model — it would ignore it — so that scoping is pinned by test/template/package.test.ts.)
  deny('AuthorizerRole', 'kms:Decrypt', `${A}:kms:${REGION_ACCOUNT}:key/1234abcd-aws-ssm-default`, 'never outside SSM', { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }),
  ...['QueryRole', 'WhoamiRole', 'PublicRole', 'TokenRole', 'JwksRole'].map((role) =>
    deny(role, 'ssm:GetParameter', ssm('usage-key-secret'), 'only the authorizer knows how API key values are derived')),
  // ── personal data (docs/privacy.md): only the query functions, whose SQL masks it, read the pseudonym secret ──
  ...['AuthorizerRole', 'WhoamiRole', 'PublicRole', 'TokenRole', 'JwksRole', 'CrawlerRole'].map((role) =>
    deny(role, 'ssm:GetParameter', ssm('pseudonym-secret'), 'only the query functions pseudonymize')),
  // ── the public pages: logs only ──
  allow('PublicRole', 'logs:PutLogEvents', logs('/aws/lambda/lakegate-prod-public'), 'logs'),
  deny('PublicRole', 's3:GetObject', data(accessControlKey), 'reads nothing'),
  // ── nobody but the token endpoint signs or reads the credentials store ──
  ...NOT_TOKEN_ROLES.flatMap((role) => [
    deny(role, 'kms:Sign', key('SigningKeyA'), 'only the token endpoint signs'),
    deny(role, 's3:GetObject', credentials(), 'only the token endpoint reads client secrets'),
    deny(role, 's3:ListBucket', credentials(''), 'the credentials bucket is not listed by anyone'),
  ]),
];

describe('IAM: every role of the packaged template, evaluated offline', function () {
  this.timeout(180_000);
  let template: Template;
  before(async () => {
    template = (await packagedTemplate('prod')).template;
  });

  it('every row of the IAM table evaluates as expected', async () => {
    const verdicts = await evaluateIamTable(template, IAM_TABLE);
    expect(describeFailures(verdicts)).to.deep.equal([]);
    expect(verdicts).to.have.length(IAM_TABLE.length);
  });

  it('every IAM role of the template has rows that must be allowed and rows that must be denied', () => {
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role').map(([id]) => id).sort();
    for (const role of roles) {
      expect(IAM_TABLE.some((r) => r.role === role && r.expect === 'allow'), `${role} has no allow row`).to.equal(true);
      expect(IAM_TABLE.some((r) => r.role === role && r.expect === 'deny'), `${role} has no deny row`).to.equal(true);
    }
    expect([...new Set(IAM_TABLE.map((r) => r.role))].sort()).to.deep.equal(roles);
  });

  describe('the table flags a mutated template', () => {
    const statements = (t: Template, role: string): any[] => t.Resources[role]!.Properties.Policies[0].PolicyDocument.Statement;

    it('GetBucketLocation back under the s3:prefix condition (the defect this table found) → flagged', async () => {
      const t = copyOf(template);
      const list = statements(t, 'QueryRole').find((s) => [s.Action].flat().includes('s3:ListBucket') && s.Condition);
      list.Action = ['s3:ListBucket', 's3:GetBucketLocation'];
      const own = statements(t, 'QueryRole').findIndex((s) => s.Action.length === 1 && s.Action[0] === 's3:GetBucketLocation');
      statements(t, 'QueryRole').splice(own, 1);
      const failures = describeFailures(await evaluateIamTable(t, IAM_TABLE));
      expect(failures).to.have.length(1);
      expect(failures[0]).to.match(/^QueryRole s3:GetBucketLocation arn:aws:s3:::\S+ \{\}: expected allow, got ImplicitlyDenied/);
    });

    it('a needed action removed → flagged', async () => {
      const t = copyOf(template);
      const read = statements(t, 'QueryRole').find((s) => s.Action.length === 1 && s.Action[0] === 's3:GetObject');
      read.Resource = read.Resource.filter((r: any) => !JSON.stringify(r).includes('/orders/'));
      const failures = describeFailures(await evaluateIamTable(t, IAM_TABLE));
      expect(failures).to.deep.equal([
        `QueryRole s3:GetObject arn:aws:s3:::lakegate-databucket-0a1b2c3d/orders/dt=2024-03-01/part-0.parquet {}: expected allow, got ImplicitlyDenied — Athena reads orders's parquet`,
      ]);
    });

    it('a forbidden action added → flagged', async () => {
      const t = copyOf(template);
      statements(t, 'QueryRole').push({ Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: { 'Fn::Sub': '${DataBucket.Arn}/*' } });
      const failures = describeFailures(await evaluateIamTable(t, IAM_TABLE));
      const forbidden = IAM_TABLE.filter((r) => r.role === 'QueryRole' && r.expect === 'deny' && ['s3:PutObject', 's3:DeleteObject'].includes(r.action) && r.resource.includes('{DataBucket}'));
      expect(forbidden.length).to.be.greaterThan(2);
      expect(failures.map((f) => f.split(' ').slice(0, 3).join(' ')).sort()).to.deep.equal(
        forbidden.map((r) => `${r.role} ${r.action} ${r.resource.replace('{DataBucket}', 'lakegate-databucket-0a1b2c3d')}`).sort(),
      );
    });

    it('a wildcard grant to a role → its deny rows are flagged', async () => {
      const t = copyOf(template);
      statements(t, 'WhoamiRole').push({ Effect: 'Allow', Action: ['s3:GetObject', 'athena:StartQueryExecution'], Resource: '*' });
      const exposed = IAM_TABLE.filter((r) => r.role === 'WhoamiRole' && r.expect === 'deny' && ['s3:GetObject', 'athena:StartQueryExecution'].includes(r.action));
      expect(exposed.length).to.be.greaterThan(1);
      expect(describeFailures(await evaluateIamTable(t, IAM_TABLE))).to.have.length(exposed.length);
    });

    it('a role missing from the template → its rows are flagged', async () => {
      const t = copyOf(template);
      delete t.Resources.WhoamiRole;
      const failures = describeFailures(await evaluateIamTable(t, IAM_TABLE));
      expect(failures).to.have.length(IAM_TABLE.filter((r) => r.role === 'WhoamiRole').length);
    });
  });
});
