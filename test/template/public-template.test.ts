/**
 * The public routes and the CORS policy in the packaged CloudFormation template:
 * one small function without the authorizer, with its pages and assets in its artifact and a
 * role that only writes logs; with no allowed origin (the default) no CORS anywhere; with
 * allowed origins, API Gateway answers preflights for every route, never with credentials, and
 * its own errors carry the policy's headers.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageService } from '../../harness/package.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { PUBLIC_FILES } from '../../src/lambda/pages/assets.ts';
import { scratchPath } from '../helpers/lake.ts';
import { packagedTemplate, resourcesOfType as ofType, type Resource, type Template } from '../helpers/template.ts';

const ORIGINS = ['https://app.example.com', 'http://localhost:5173'];
const PUBLIC_PATHS = ['openapi.json', 'docs', 'docs/{asset}', 'playground', 'playground/{asset}', '.well-known/oauth-authorization-server'];
/** Every gateway response: each must carry the CORS policy's headers. */
const GATEWAY_RESPONSES = ['UnauthorizedResponse', 'AccessDeniedResponse', 'NotFoundResponse', 'ThrottledResponse', 'Default5xxResponse', 'Default4xxResponse', 'QuotaExceededResponse', 'InvalidApiKeyResponse', 'RequestTooLargeResponse'];

/** `serverless package` of a stage with these allowed origins (`--param`), no AWS credentials. */
async function packWithOrigins(stage: string, origins: string[]): Promise<Template> {
  const dir = scratchPath(`package-${stage}`);
  await packageService({ stage, out: dir, params: { corsOrigins: origins.join(',') } });
  return JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
}

const resourcePath = (t: Template, id: string): string => {
  const r = t.Resources[id];
  if (!r) return '';
  const parent = r.Properties.ParentId?.Ref;
  return `${parent ? resourcePath(t, parent) : ''}/${r.Properties.PathPart}`;
};
const methods = (t: Template): Record<string, any>[] =>
  ofType(t, 'AWS::ApiGateway::Method').map(([id, r]) => ({ id, path: resourcePath(t, r.Properties.ResourceId.Ref), ...r.Properties }));

describe('public routes and CORS in the packaged template', function () {
  this.timeout(300_000);
  let prod: { dir: string; template: Template };
  let withCors: Template;
  before(async () => {
    prod = await packagedTemplate('prod');
    withCors = await packWithOrigins('corsdemo', ORIGINS);
  });

  it('one public function: GET and HEAD of its pages, no authorizer, its own role', () => {
    const fn = ofType(prod.template, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === 'lakegate-prod-public')!;
    expect(fn, 'lakegate-prod-public').to.not.equal(undefined);
    expect(fn[1].Properties.Role).to.deep.equal({ 'Fn::GetAtt': ['PublicRole', 'Arn'] });
    const open = methods(prod.template).filter((m) => PUBLIC_PATHS.map((p) => `/${p}`).includes(m.path) && m.HttpMethod !== 'ANY');
    expect(open.map((m) => `${m.HttpMethod} ${m.path}`).sort()).to.deep.equal(PUBLIC_PATHS.flatMap((p) => [`GET /${p}`, `HEAD /${p}`]).sort());
    for (const m of open) {
      expect(m.AuthorizationType).to.equal('NONE');
      expect(JSON.stringify(m.Integration.Uri)).to.include('PublicLambdaFunction');
    }
  });

  it('every known path also has ANY to the public function (405 with Allow), and /{proxy+} takes every unknown path (404), none behind the authorizer', () => {
    const any = methods(prod.template).filter((m) => m.HttpMethod === 'ANY');
    const known = [...PUBLIC_PATHS, 'whoami', ...catalog().keys(), 'oauth/token', '.well-known/jwks.json', '{proxy+}'].map((p) => `/${p}`);
    expect(any.map((m) => m.path).sort()).to.deep.equal(known.sort());
    for (const m of any) {
      expect(m.AuthorizationType).to.equal('NONE');
      expect(JSON.stringify(m.Integration.Uri)).to.include('PublicLambdaFunction');
    }
    const root = methods(prod.template).filter((m) => m.ResourceId?.['Fn::GetAtt']?.[1] === 'RootResourceId');
    expect(root.map((m) => m.HttpMethod).sort()).to.deep.equal(['GET', 'HEAD']);
  });

  it('the public role may only write its logs', () => {
    const role = prod.template.Resources.PublicRole as Resource;
    const actions = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).flatMap((s: any) => [s.Action].flat());
    expect(actions.sort()).to.deep.equal(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it("the public function's artifact holds every page and asset it serves", () => {
    const zip = readFileSync(path.join(prod.dir, 'public.zip'));
    for (const file of PUBLIC_FILES) expect(zip.includes(Buffer.from(file)), file).to.equal(true);
  });

  it('no allowed origin (the default): no OPTIONS method, no CORS header on the gateway\'s errors', () => {
    expect(methods(prod.template).filter((m) => m.HttpMethod === 'OPTIONS')).to.deep.equal([]);
    for (const id of GATEWAY_RESPONSES) {
      const headers = Object.keys(prod.template.Resources[id]!.Properties.ResponseParameters ?? {});
      expect(headers.filter((h) => h.includes('Access-Control') || h.endsWith('.Vary')), id).to.deep.equal([]);
    }
    for (const [, f] of ofType(prod.template, 'AWS::Lambda::Function')) expect(f.Properties.Environment.Variables.LAKEGATE_CORS_ORIGINS).to.equal('');
  });

  describe('with allowed origins (--param corsOrigins=…)', () => {
    it('every GET route answers preflights (API Gateway MOCK): allowed origins only, GET with Authorization, never credentials', () => {
      const all = methods(withCors);
      const gets = all.filter((m) => m.HttpMethod === 'GET').map((m) => m.path);
      const options = all.filter((m) => m.HttpMethod === 'OPTIONS');
      expect(options.map((m) => m.path).sort()).to.include.members([...catalog().keys(), 'whoami', ...PUBLIC_PATHS].map((p) => `/${p}`));
      for (const m of options.filter((o) => gets.includes(o.path))) {
        expect(m.AuthorizationType, m.path).to.equal('NONE');
        expect(m.Integration.Type).to.equal('MOCK');
        const [response] = m.Integration.IntegrationResponses;
        const p = response.ResponseParameters;
        expect(p['method.response.header.Access-Control-Allow-Origin']).to.equal(`'${ORIGINS[0]}'`);
        expect(p['method.response.header.Access-Control-Allow-Headers']).to.equal("'Authorization,Accept'");
        expect(p['method.response.header.Access-Control-Allow-Methods']).to.equal("'GET,OPTIONS'");
        expect(p).to.not.have.property('method.response.header.Access-Control-Allow-Credentials');
        // The origin is echoed only when it is one of the list (Velocity template of the framework).
        const template: string = response.ResponseTemplates['application/json'];
        for (const o of ORIGINS) expect(template).to.include(o.replaceAll('.', '[.]'));
      }
    });

    it("API Gateway's own errors carry the policy's headers (the one origin they can name)", () => {
      for (const id of GATEWAY_RESPONSES) {
        expect(withCors.Resources[id]!.Properties.ResponseParameters, id).to.deep.include({
          'gatewayresponse.header.Access-Control-Allow-Origin': `'${ORIGINS[0]}'`,
          'gatewayresponse.header.Access-Control-Expose-Headers': "'Retry-After,X-Next-Token,X-Request-Id,Content-Disposition'",
          'gatewayresponse.header.Vary': "'Origin'",
        });
      }
    });

    it('the functions get the same allow-list (their answers carry the headers, src/lambda/api/cors.ts)', () => {
      for (const [, f] of ofType(withCors, 'AWS::Lambda::Function')) {
        expect(f.Properties.Environment.Variables.LAKEGATE_CORS_ORIGINS).to.equal(ORIGINS.join(','));
      }
    });
  });
});
