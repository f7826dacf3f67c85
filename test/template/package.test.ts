/**
 * `serverless package` with no AWS credentials at all, and the generated CloudFormation checked
 * against the deployment contract: storage, Glue, Athena, API, IAM, outputs.
 */
import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catalog } from '../../src/lambda/catalog.ts';
import { LAKE_TABLES } from '../../src/lambda/lake/layout.ts';
import { packageService } from '../../harness/package.ts';
import { scratchPath } from '../helpers/lake.ts';
import { packagedTemplate, resourcesOfType as ofType, type Resource, type Template } from '../helpers/template.ts';

describe('serverless package (no AWS credentials)', function () {
  this.timeout(180_000);
  let prod: { dir: string; template: Template };
  let dev: Template;
  before(async () => {
    // One after the other: the framework stages artifacts in a shared .serverless/ folder.
    prod = await packagedTemplate('prod');
    dev = (await packagedTemplate('dev')).template;
  });

  it('packages one artifact per function, with its query files and without DuckDB', () => {
    const zips = readdirSync(prod.dir).filter((f) => f.endsWith('.zip')).sort();
    expect(zips).to.deep.equal([...catalog().keys(), 'tokenAuthorizer', 'whoami', 'public', 'oauthToken', 'jwks'].sort().map((n) => `${n}.zip`));
    for (const z of zips) expect(statSync(path.join(prod.dir, z)).size).to.be.below(5 << 20);
  });

  describe('storage', () => {
    for (const name of ['DataBucket', 'ResultsBucket']) {
      it(`${name}: private, encrypted, owner-enforced, TLS only, incomplete uploads aborted`, () => {
        const b = prod.template.Resources[name]!.Properties;
        expect(b.PublicAccessBlockConfiguration).to.deep.equal({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
        expect(b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).to.equal('AES256');
        expect(b.OwnershipControls.Rules[0].ObjectOwnership).to.equal('BucketOwnerEnforced');
        expect(b.LifecycleConfiguration.Rules.some((r: any) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation === 1)).to.equal(true);
        const policy = prod.template.Resources[`${name}Policy`]!.Properties.PolicyDocument.Statement[0];
        expect(policy).to.deep.include({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
      });
    }

    it('query results expire, after a per-stage number of days', () => {
      const rule = (t: Template) => t.Resources.ResultsBucket!.Properties.LifecycleConfiguration.Rules.find((r: any) => r.ExpirationInDays);
      expect(rule(prod.template).ExpirationInDays).to.equal(30);
      expect(rule(dev).ExpirationInDays).to.equal(7);
    });
  });

  describe('Glue', () => {
    it('a database per stage', () => {
      expect(prod.template.Resources.GlueDatabase!.Properties.DatabaseInput.Name).to.equal('lakegate_prod');
      expect(dev.Resources.GlueDatabase!.Properties.DatabaseInput.Name).to.equal('lakegate_dev');
    });

    it('crawlers for every lake table and for access_control; schema changes logged, not applied', () => {
      const crawlers = Object.fromEntries(ofType(prod.template, 'AWS::Glue::Crawler'));
      const paths = (c: Resource) => c.Properties.Targets.S3Targets.map((t: any) => t.Path['Fn::Sub']);
      expect(paths(crawlers.LakeCrawler!)).to.deep.equal(LAKE_TABLES.map((t) => `s3://\${DataBucket}/${t.name}/`));
      expect(paths(crawlers.LakeCrawler!), 'the location dimension (personal data) is crawled like the others').to.include('s3://${DataBucket}/location/');
      expect(paths(crawlers.AccessControlCrawler!)).to.deep.equal(['s3://${DataBucket}/access_control/']);
      for (const c of Object.values(crawlers)) {
        expect(c.Properties.Name).to.match(/^lakegate-prod-/);
        expect(c.Properties.SchemaChangePolicy).to.deep.equal({ UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' });
        expect(c.Properties.DatabaseName).to.deep.equal({ Ref: 'GlueDatabase' });
        expect(JSON.parse(c.Properties.Configuration).CrawlerOutput.Partitions.AddOrUpdateBehavior).to.equal('InheritFromTable');
      }
    });
  });

  describe('Athena', () => {
    it('workgroup: engine v3, enforced encrypted result location, per-stage bytes-scanned cutoff', () => {
      const wg = (t: Template) => t.Resources.AthenaWorkGroup!.Properties;
      expect(wg(prod.template).Name).to.equal('lakegate-prod');
      const c = wg(prod.template).WorkGroupConfiguration;
      expect(c.EngineVersion.SelectedEngineVersion).to.equal('Athena engine version 3');
      expect(c.EnforceWorkGroupConfiguration).to.equal(true);
      expect(c.ResultConfiguration.OutputLocation).to.deep.equal({ 'Fn::Sub': 's3://${ResultsBucket}/athena/' });
      expect(c.ResultConfiguration.EncryptionConfiguration.EncryptionOption).to.equal('SSE_S3');
      expect(c.BytesScannedCutoffPerQuery).to.equal(10 * 1024 ** 3);
      expect(wg(dev).WorkGroupConfiguration.BytesScannedCutoffPerQuery).to.equal(1024 ** 3);
    });

    it("the eight queries and the rollup paths as saved queries, each exactly its SQL file's Athena SQL", () => {
      const named = ofType(prod.template, 'AWS::Athena::NamedQuery').map(([, r]) => r.Properties);
      const rollups = [...catalog().values()].filter((q) => q.rollup);
      expect(rollups).to.have.length(7);
      expect(named.map((n) => n.Name).sort()).to.deep.equal([...catalog().keys(), ...rollups.map((q) => `${q.name}_rollup`)].sort());
      for (const n of named) {
        const base = catalog().get(n.Name.replace(/_rollup$/, ''))!;
        const q = n.Name.endsWith('_rollup') ? base.rollup! : base;
        expect(n.QueryString).to.equal(q.positional.text);
        expect(n.QueryString.replace(/\?/g, '')).to.equal(q.source.replace(/:[a-z_]+/g, ''));
        expect(n.Database).to.deep.equal({ Ref: 'GlueDatabase' });
        expect(n.WorkGroup).to.deep.equal({ Ref: 'AthenaWorkGroup' });
      }
    });
  });

  describe('API and functions', () => {
    it('a REST API with the TOKEN authorizer: identity validation regex and result TTL', () => {
      const [[, auth]] = ofType(prod.template, 'AWS::ApiGateway::Authorizer') as [[string, Resource]];
      expect(auth.Properties.Type).to.equal('TOKEN');
      expect(auth.Properties.IdentitySource).to.equal('method.request.header.Authorization');
      expect(new RegExp(auth.Properties.IdentityValidationExpression).test('Bearer a.b.c')).to.equal(true);
      expect(new RegExp(auth.Properties.IdentityValidationExpression).test('Basic abc')).to.equal(false);
      expect(auth.Properties.AuthorizerResultTtlInSeconds).to.equal(60);
    });

    it('GET and HEAD per query plus whoami, every one behind the authorizer; only the public routes of docs/design.md §10 without it', () => {
      const methods = ofType(prod.template, 'AWS::ApiGateway::Method').map(([, r]) => r.Properties);
      const authorized = methods.filter((m) => m.AuthorizationType === 'CUSTOM');
      expect(authorized).to.have.length(2 * (catalog().size + 1));
      expect(authorized.map((m) => m.HttpMethod).sort()).to.deep.equal([...Array(catalog().size + 1).fill('GET'), ...Array(catalog().size + 1).fill('HEAD')]);
      const open = methods.filter((m) => m.AuthorizationType !== 'CUSTOM');
      expect(open.every((m) => m.AuthorizationType === 'NONE')).to.equal(true);
      // ANY methods only ever reach the public function, which answers them 404 or 405 (test/template/public-template.test.ts).
      expect(open.filter((m) => m.HttpMethod !== 'ANY').map((m) => `${m.HttpMethod} ${m.ResourceId.Ref ?? 'root'}`).sort()).to.deep.equal([
        ...['ApiGatewayResourceDocs', 'ApiGatewayResourceDocsAssetVar', 'ApiGatewayResourceOpenapijson', 'ApiGatewayResourcePlayground',
          'ApiGatewayResourcePlaygroundAssetVar', 'ApiGatewayResourceWellDashknownJwksjson', 'ApiGatewayResourceWellDashknownOauthDashauthorizationDashserver', 'root',
        ].flatMap((r) => [`GET ${r}`, `HEAD ${r}`]),
        'POST ApiGatewayResourceOauthToken',
      ].sort());
    });

    it("gateway errors answer in the API's error format (401, 403, 404, 413, 429 rate and quota, 403 without a plan, 5xx)", () => {
      const types = ofType(prod.template, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties.ResponseType).sort();
      expect(types).to.deep.equal(['ACCESS_DENIED', 'DEFAULT_4XX', 'DEFAULT_5XX', 'INVALID_API_KEY', 'MISSING_AUTHENTICATION_TOKEN', 'QUOTA_EXCEEDED', 'REQUEST_TOO_LARGE', 'THROTTLED', 'UNAUTHORIZED']);
      const tooLarge = ofType(prod.template, 'AWS::ApiGateway::GatewayResponse').find(([, r]) => r.Properties.ResponseType === 'REQUEST_TOO_LARGE')![1].Properties;
      expect(tooLarge.StatusCode).to.equal('413');
      expect(JSON.parse(tooLarge.ResponseTemplates['application/json']).error.code).to.equal('request_too_large');
      const throttled = ofType(prod.template, 'AWS::ApiGateway::GatewayResponse').find(([, r]) => r.Properties.ResponseType === 'THROTTLED')![1].Properties;
      expect(JSON.parse(throttled.ResponseTemplates['application/json']).error.code).to.equal('rate_limited');
      expect(throttled.ResponseParameters['gatewayresponse.header.Retry-After']).to.equal("'1'");
    });

    it('functions: nodejs22.x, stage-aware names under 64 characters, the Athena engine, keys from SSM by name only', () => {
      const fns = ofType(prod.template, 'AWS::Lambda::Function').map(([, r]) => r.Properties);
      expect(fns).to.have.length(catalog().size + 5); // + authorizer, whoami, public pages, token, JWKS
      for (const f of fns) {
        expect(f.Runtime).to.equal('nodejs22.x');
        expect(f.FunctionName).to.match(/^lakegate-prod-/);
        expect(f.FunctionName.length).to.be.at.most(64);
        const env = f.Environment.Variables;
        expect(env.LAKEGATE_ENGINE).to.equal('athena');
        expect(env.LAKEGATE_JWT_PUBLIC_KEY_PARAMETER).to.equal('/lakegate/prod/jwt-public-key');
        expect(env.LAKEGATE_PAGE_TOKEN_SECRET_PARAMETER).to.equal('/lakegate/prod/page-token-secret');
        expect(env.LAKEGATE_PSEUDONYM_SECRET_PARAMETER).to.equal('/lakegate/prod/pseudonym-secret');
        expect(env.LAKEGATE_ATHENA_WORKGROUP).to.deep.equal({ Ref: 'AthenaWorkGroup' });
        expect(env).to.not.have.any.keys('LAKEGATE_JWT_PUBLIC_KEY', 'LAKEGATE_PAGE_TOKEN_SECRET', 'LAKEGATE_JWT_HS256_SECRET', 'LAKEGATE_PSEUDONYM_SECRET');
      }
    });

    it('no secret anywhere in the template', () => {
      const text = JSON.stringify(prod.template);
      expect(text).to.not.match(/BEGIN [A-Z ]*KEY|PRIVATE KEY|LAKEGATE_PAGE_TOKEN_SECRET"/);
    });
  });

  describe('least-privilege IAM', () => {
    const roles = () => Object.fromEntries(ofType(prod.template, 'AWS::IAM::Role'));
    const statements = (r: Resource) => r.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const actions = (r: Resource): string[] => statements(r).flatMap((s: any) => [s.Action].flat());

    it('one role per kind of function', () => {
      const byFn = Object.fromEntries(ofType(prod.template, 'AWS::Lambda::Function').map(([, r]) => [r.Properties.FunctionName, r.Properties.Role]));
      expect(byFn['lakegate-prod-tokenAuthorizer']).to.deep.equal({ 'Fn::GetAtt': ['AuthorizerRole', 'Arn'] });
      expect(byFn['lakegate-prod-whoami']).to.deep.equal({ 'Fn::GetAtt': ['WhoamiRole', 'Arn'] });
      for (const q of catalog().keys()) {
        const fn = Object.entries(byFn).find(([name]) => name.startsWith(`lakegate-prod-${q}`.slice(0, 50)))!;
        expect(fn[1], q).to.deep.equal({ 'Fn::GetAtt': ['QueryRole', 'Arn'] });
      }
    });

    it('no role grants a * action, and no statement applies to every resource', () => {
      for (const [name, r] of Object.entries(roles())) {
        for (const a of actions(r)) expect(a, `${name}: ${a}`).to.not.include('*');
        for (const s of statements(r)) expect([s.Resource].flat(), name).to.not.include('*');
      }
    });

    it('the authorizer reads only the access-control object, its key parameters and the signing keys\' public halves', () => {
      const s = statements(roles().AuthorizerRole!);
      expect([...new Set(actions(roles().AuthorizerRole!))].sort()).to.deep.equal(['kms:Decrypt', 'kms:GetPublicKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 'ssm:GetParameter']);
      expect(s.find((x: any) => x.Action.includes('s3:GetObject')).Resource).to.deep.equal({ 'Fn::Sub': '${DataBucket.Arn}/access_control/access_control.json' });
      expect(JSON.stringify(s.find((x: any) => x.Action.includes('ssm:GetParameter')).Resource)).to.contain('parameter/lakegate/prod/jwt-public-key');
    });

    it('query functions: this workgroup, this database, the lake tables (not the access table), the results prefix', () => {
      const s = statements(roles().QueryRole!);
      const athena = s.find((x: any) => x.Action.includes('athena:StartQueryExecution'));
      expect(athena.Action.sort()).to.deep.equal(['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution', 'athena:StopQueryExecution']);
      expect(JSON.stringify(athena.Resource)).to.contain('workgroup/lakegate-prod');
      const glue = s.find((x: any) => x.Action.includes('glue:GetTable'));
      expect(JSON.stringify(glue.Resource)).to.contain('database/lakegate_prod').and.not.contain('access_control');
      const read = s.find((x: any) => x.Action.length === 1 && x.Action[0] === 's3:GetObject');
      expect(read.Resource.map((r: any) => r['Fn::Sub'])).to.deep.equal(LAKE_TABLES.map((t) => `\${DataBucket.Arn}/${t.name}/*`));
      const results = s.find((x: any) => x.Action.includes('s3:PutObject'));
      expect(results.Resource).to.deep.equal({ 'Fn::Sub': '${ResultsBucket.Arn}/athena/*' });
      expect(JSON.stringify(s)).to.not.contain('jwt-public-key');
    });

    it('kms:Decrypt only through SSM, only for one named parameter of this stage (the IAM evaluator cannot check this scoping)', () => {
      for (const [name, r] of Object.entries(roles())) {
        for (const st of statements(r).filter((x: any) => [x.Action].flat().includes('kms:Decrypt'))) {
          expect(st.Condition.StringEquals['kms:ViaService'], name).to.deep.equal({ 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' });
          expect(st.Condition.StringLike['kms:EncryptionContext:PARAMETER_ARN']['Fn::Sub'], name).to.match(/:parameter\/lakegate\/prod\/[a-z-]+$/);
        }
      }
    });

    it('whoami may only write its logs', () => {
      expect(actions(roles().WhoamiRole!).sort()).to.deep.equal(['logs:CreateLogStream', 'logs:PutLogEvents']);
    });
  });

  describe('credentials (docs/design.md §9)', () => {
    it('the signing key is a KMS P-256 SIGN_VERIFY key whose policy gives kms:* to the account root only', () => {
      const keys = ofType(prod.template, 'AWS::KMS::Key');
      expect(keys.map(([id]) => id)).to.deep.equal(['SigningKeyA']);
      const k = keys[0]![1].Properties;
      expect(k).to.include({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      expect(k.KeyPolicy.Statement).to.deep.equal([{
        Sid: 'AccountRootOnly', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*',
      }]);
    });

    it('only the token role names kms:Sign; every function knows the signing keys and the credentials store', () => {
      const signers = ofType(prod.template, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.Policies).includes('kms:Sign')).map(([id]) => id);
      expect(signers).to.deep.equal(['TokenRole']);
      for (const [, f] of ofType(prod.template, 'AWS::Lambda::Function')) {
        expect(f.Properties.Environment.Variables.LAKEGATE_SIGNING_KEY_IDS).to.deep.equal({ 'Fn::Join': [',', [{ 'Fn::GetAtt': ['SigningKeyA', 'Arn'] }]] });
        expect(f.Properties.Environment.Variables.LAKEGATE_CREDENTIALS_S3_URI).to.deep.equal({ 'Fn::Sub': 's3://${CredentialsBucket}/client_secrets.jsonl' });
      }
    });

    it('POST /oauth/token and GET /.well-known/jwks.json have no authorizer; the token route is throttled; no crawler reads the credentials bucket', () => {
      const methods = Object.fromEntries(ofType(prod.template, 'AWS::ApiGateway::Method').map(([id, r]) => [id, r.Properties]));
      expect(methods.ApiGatewayMethodOauthTokenPost).to.include({ HttpMethod: 'POST', AuthorizationType: 'NONE' });
      expect(methods.ApiGatewayMethodWellDashknownJwksjsonGet).to.include({ HttpMethod: 'GET', AuthorizationType: 'NONE' });
      const [[, deployment]] = ofType(prod.template, 'AWS::ApiGateway::Deployment') as [[string, Resource]];
      expect(deployment.Properties.StageDescription.MethodSettings).to.deep.equal([
        { ResourcePath: '/~1oauth~1token', HttpMethod: 'POST', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      ]);
      for (const [, c] of ofType(prod.template, 'AWS::Glue::Crawler')) expect(JSON.stringify(c.Properties.Targets)).to.not.include('CredentialsBucket');
    });
  });

  it("packaging leaves no per-function copies in the system temp dir (serverless-esbuild's)", async () => {
    const copies = () => new Set(readdirSync(tmpdir()).filter((f) => /^[A-Za-z_]+-\d+-\d+-[0-9a-f]{8}$/.test(f)));
    const before = copies();
    const out = scratchPath('package-leak');
    await packageService({ stage: 'leak', out });
    expect(readdirSync(out).filter((f) => f.endsWith('.zip')).length).to.be.greaterThan(5);
    expect([...copies()].filter((f) => !before.has(f))).to.deep.equal([]);
  });

  it('outputs what an operator needs', () => {
    expect(prod.template.Outputs).to.include.keys(
      'ServiceEndpoint', 'DataBucketName', 'ResultsBucketName', 'AthenaWorkGroupName', 'GlueDatabaseName', 'LakeCrawlerName', 'AccessControlCrawlerName',
    );
  });
});
