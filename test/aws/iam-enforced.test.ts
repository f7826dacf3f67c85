/**
 * Least privilege checked by a second, independent evaluator: the emulator with IAM enforced
 * (INITIAL_NO_AUTH_ACTION_COUNT), each function role's S3 statements from the packaged template
 * given to an identity of its own, and the project's real code (the S3 stores, the caches) run
 * with that identity's credentials. The roles read what they need and are refused what they must
 * not touch. Only S3 actions are checked here (what the emulator enforces faithfully); the
 * offline IAM table (test/template/iam.test.ts) evaluates every action and condition.
 */
import { expect } from 'chai';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AccessTableCache, AccessTableUnavailable } from '../../src/lambda/access/table.ts';
import { credentialsCache } from '../../src/lambda/identity/oauth/credentials-store.ts';
import { newSecret, serializeSecrets } from '../../src/lambda/identity/oauth/secrets.ts';
import { accessControlKey } from '../../src/lambda/lake/layout.ts';
import { S3Object } from '../../src/shared/s3-object.ts';
import { resolve } from '../helpers/cfn.ts';
import { describeWithMoto, REGION } from '../helpers/moto.ts';
import { packagedTemplate, type Template } from '../helpers/template.ts';

type Credentials = { accessKeyId: string; secretAccessKey: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Unauthenticated requests the emulator lets through before it enforces IAM: the three that make the admin. */
const BOOTSTRAP_ACTIONS = 3;
// Under the table's prefix but without `dt=`: with IAM enforced, the emulator's SigV4 check
// refuses every key containing `=` (SignatureDoesNotMatch), which real S3 accepts.
const LAKE_OBJECT = 'orders/part-0.parquet';
const ROLLUP_RECORD = 'rollups.json';
const CREDENTIALS_KEY = 'client_secrets.jsonl';
const ROLES = ['QueryRole', 'AuthorizerRole', 'TokenRole'] as const;

/** A role's S3 statements, with the template's intrinsics resolved as a deployment would. */
function s3Statements(template: Template, role: string): Statement[] {
  const doc = resolve(template.Resources[role]!.Properties.Policies[0].PolicyDocument, template) as { Statement: Statement[] };
  return doc.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
}

describeWithMoto('least privilege, enforced by the emulator', () => {
  let template: Template;
  let buckets: { data: string; credentials: string };
  const as: Partial<Record<(typeof ROLES)[number] | 'admin', Credentials>> = {};
  const s3 = (who: keyof typeof as) => new S3Client({ region: REGION, credentials: as[who]! });
  const refused = (p: Promise<unknown>) => p.then(() => 'allowed', (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${e.$metadata?.httpStatusCode} ${e.name}`);

  before(async () => {
    template = (await packagedTemplate('prod')).template;
    buckets = { data: resolve({ Ref: 'DataBucket' }, template), credentials: resolve({ Ref: 'CredentialsBucket' }, template) };
    // The bootstrap: an administrator, made by the requests the emulator lets through unauthenticated.
    const boot = new IAMClient({ region: REGION, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } });
    await boot.send(new CreateUserCommand({ UserName: 'admin' }));
    await boot.send(new PutUserPolicyCommand({ UserName: 'admin', PolicyName: 'admin', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }));
    const key = (await boot.send(new CreateAccessKeyCommand({ UserName: 'admin' }))).AccessKey!;
    as.admin = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    // One identity per function role, holding that role's S3 statements.
    const iam = new IAMClient({ region: REGION, credentials: as.admin });
    for (const role of ROLES) {
      await iam.send(new CreateUserCommand({ UserName: role }));
      await iam.send(new PutUserPolicyCommand({ UserName: role, PolicyName: 'least-privilege', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: s3Statements(template, role) }) }));
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: role }))).AccessKey!;
      as[role] = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    }
    // The stage's objects, as the operators put them.
    const admin = s3('admin');
    for (const Bucket of Object.values(buckets)) await admin.send(new CreateBucketCommand({ Bucket }));
    const put = (Bucket: string, Key: string, Body: string) => admin.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.from(Body) }));
    await put(buckets.data, LAKE_OBJECT, 'parquet bytes');
    await put(buckets.data, ROLLUP_RECORD, '{"version":1,"tables":{}}\n');
    await put(buckets.data, accessControlKey, `${JSON.stringify({ client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 })}\n`);
    await put(buckets.credentials, CREDENTIALS_KEY, serializeSecrets([newSecret(4).stored]));
  });

  it('the emulator enforces IAM: unknown credentials are refused', async () => {
    const stranger = new S3Client({ region: REGION, credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'nope' } });
    expect(await refused(stranger.send(new GetObjectCommand({ Bucket: buckets.data, Key: LAKE_OBJECT })))).to.match(/^403 /);
  });

  it("the refusals below come from the roles' policies: an identity granted s3:* reads the access table the query role may not", async () => {
    const iam = new IAMClient({ region: REGION, credentials: as.admin! });
    await iam.send(new CreateUserCommand({ UserName: 'wide' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'wide', PolicyName: 'wide', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }) }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'wide' }))).AccessKey!;
    const wide = new S3Client({ region: REGION, credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! } });
    expect(await refused(wide.send(new GetObjectCommand({ Bucket: buckets.data, Key: accessControlKey })))).to.equal('allowed');
  });

  it("the query role reads the lake's objects and the rollups' record (through the real S3 store)", async () => {
    const lake = await s3('QueryRole').send(new GetObjectCommand({ Bucket: buckets.data, Key: LAKE_OBJECT }));
    expect(await lake.Body!.transformToString()).to.equal('parquet bytes');
    expect(await new S3Object(s3('QueryRole'), buckets.data, ROLLUP_RECORD).read()).to.deep.include({ changed: true });
  });

  it('the query role cannot read the access table nor the credentials store, nor write lake data', async () => {
    const q = s3('QueryRole');
    expect(await refused(q.send(new GetObjectCommand({ Bucket: buckets.data, Key: accessControlKey })))).to.equal('403 AccessDenied');
    expect(await refused(q.send(new GetObjectCommand({ Bucket: buckets.credentials, Key: CREDENTIALS_KEY })))).to.equal('403 AccessDenied');
    expect(await refused(q.send(new PutObjectCommand({ Bucket: buckets.data, Key: LAKE_OBJECT, Body: Buffer.from('x') })))).to.equal('403 AccessDenied');
  });

  it("the authorizer's access-table cache reads the table with its role; with the query role's it fails closed", async () => {
    const opts = { ttlMs: 1000, maxStaleMs: 0, readTimeoutMs: 5000 };
    const table = await new AccessTableCache(new S3Object(s3('AuthorizerRole'), buckets.data, accessControlKey), opts).table();
    expect(table.get(4)?.enabled).to.equal(true);
    const denied = await new AccessTableCache(new S3Object(s3('QueryRole'), buckets.data, accessControlKey), opts).table().then(() => undefined, (e: unknown) => e);
    expect(denied).to.be.instanceOf(AccessTableUnavailable);
  });

  it('the authorizer cannot write the access table, nor read the lake or the credentials store', async () => {
    const a = s3('AuthorizerRole');
    expect(await refused(a.send(new PutObjectCommand({ Bucket: buckets.data, Key: accessControlKey, Body: Buffer.from('{}\n') })))).to.equal('403 AccessDenied');
    expect(await refused(a.send(new GetObjectCommand({ Bucket: buckets.data, Key: LAKE_OBJECT })))).to.equal('403 AccessDenied');
    expect(await refused(a.send(new GetObjectCommand({ Bucket: buckets.credentials, Key: CREDENTIALS_KEY })))).to.equal('403 AccessDenied');
  });

  it("the token endpoint's credentials cache reads the secrets with its role, and it reads the access table; it writes neither", async () => {
    const t = s3('TokenRole');
    const secrets = await credentialsCache(new S3Object(t, buckets.credentials, CREDENTIALS_KEY), 1000).get();
    expect(secrets).to.have.length(1);
    expect(await new S3Object(t, buckets.data, accessControlKey).read()).to.deep.include({ changed: true });
    expect(await refused(t.send(new PutObjectCommand({ Bucket: buckets.credentials, Key: CREDENTIALS_KEY, Body: Buffer.from('') })))).to.equal('403 AccessDenied');
    expect(await refused(t.send(new PutObjectCommand({ Bucket: buckets.data, Key: accessControlKey, Body: Buffer.from('{}\n') })))).to.equal('403 AccessDenied');
    expect(await refused(t.send(new GetObjectCommand({ Bucket: buckets.data, Key: LAKE_OBJECT })))).to.equal('403 AccessDenied');
  });
}, { serverEnv: { INITIAL_NO_AUTH_ACTION_COUNT: String(BOOTSTRAP_ACTIONS) }, resetEachTest: false });
