/**
 * The plans on AWS, in the CloudFormation that `serverless package` produces with no
 * AWS credentials: one usage plan per plan of src/lambda/limits/plans.json, the API key source, and an
 * API key required on every authorized method (never on the public routes).
 */
import { expect } from 'chai';
import { plans } from '../../src/lambda/limits/plans.ts';
import { usagePlanName } from '../../src/ops/limits-sync.ts';
import { packagedTemplate, resourcesOfType, type Template } from '../helpers/template.ts';

describe('usage plans in the packaged template', function () {
  this.timeout(180_000);
  let prod: Template;
  let dev: Template;
  before(async () => {
    prod = (await packagedTemplate('prod')).template;
    dev = (await packagedTemplate('dev')).template;
  });

  it('one AWS::ApiGateway::UsagePlan per plan: throttle, a DAY quota, linked to the stage after its deployment', () => {
    for (const [stage, t] of [['prod', prod], ['dev', dev]] as const) {
      const usagePlans = resourcesOfType(t, 'AWS::ApiGateway::UsagePlan').map(([, r]) => r);
      expect(usagePlans).to.have.length(plans().plans.size);
      for (const p of plans().plans.values()) {
        const r = usagePlans.find((u) => u.Properties.UsagePlanName === usagePlanName('lakegate', p.name, stage));
        expect(r, `${p.name} on ${stage}`).to.not.equal(undefined);
        expect(r!.Properties.Throttle).to.deep.equal({ RateLimit: p.ratePerSecond, BurstLimit: p.burst });
        expect(r!.Properties.Quota).to.deep.equal({ Limit: p.quotaPerDay, Period: 'DAY' });
        expect(r!.Properties.ApiStages).to.deep.equal([{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: stage }]);
        expect(t.Resources[r!.DependsOn]?.Type).to.equal('AWS::ApiGateway::Deployment');
      }
    }
  });

  it('the REST API takes API keys from the authorizer (usageIdentifierKey)', () => {
    expect(prod.Resources.ApiGatewayRestApi!.Properties.ApiKeySourceType).to.equal('AUTHORIZER');
  });

  it('every authorized method requires an API key; the public routes do not', () => {
    const methods = resourcesOfType(prod, 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties.HttpMethod !== 'OPTIONS');
    const authorized = methods.filter(([, r]) => r.Properties.AuthorizationType === 'CUSTOM');
    expect(authorized.length).to.be.at.least(9); // eight queries + whoami
    for (const [id, r] of authorized) expect(r.Properties.ApiKeyRequired, id).to.equal(true);
    for (const [id, r] of methods.filter(([, r]) => r.Properties.AuthorizationType !== 'CUSTOM')) expect(r.Properties.ApiKeyRequired, id).to.not.equal(true);
  });

  it('the gateway\'s refusals in the API\'s error format: over the quota (429 + Retry-After), no API key (403)', () => {
    const responses = Object.fromEntries(resourcesOfType(prod, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    expect(responses.QUOTA_EXCEEDED).to.deep.include({ StatusCode: '429' });
    expect(JSON.parse(responses.QUOTA_EXCEEDED.ResponseTemplates['application/json']).error.code).to.equal('quota_exceeded');
    expect(responses.QUOTA_EXCEEDED.ResponseParameters['gatewayresponse.header.Retry-After']).to.match(/^'\d+'$/);
    expect(responses.INVALID_API_KEY).to.deep.include({ StatusCode: '403' });
  });

  it('the authorizer, and only it, can read the stage\'s usage-key secret; functions publish EMF metrics', () => {
    const fn = resourcesOfType(prod, 'AWS::Lambda::Function').find(([id]) => id === 'TokenAuthorizerLambdaFunction')![1];
    expect(fn.Properties.Environment.Variables).to.deep.include({
      LAKEGATE_USAGE_KEY_SECRET_PARAMETER: '/lakegate/prod/usage-key-secret', LAKEGATE_METRICS: 'emf',
    });
    const reads = (role: string) => JSON.stringify(prod.Resources[role]!.Properties.Policies).includes('parameter/lakegate/prod/usage-key-secret');
    expect(reads('AuthorizerRole')).to.equal(true);
    expect(reads('QueryRole')).to.equal(false);
  });
});
