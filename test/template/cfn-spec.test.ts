/**
 * The packaged prod template against the CloudFormation resource specification: what a first
 * `serverless deploy` would reject (an unknown property, a missing required one, a wrong literal
 * type) is caught without an account.
 */
import { expect } from 'chai';
import { checkTemplate, NEWER_THAN_SPEC, specification } from '../helpers/cfn-spec.ts';
import { copyOf, packagedTemplate, type Template } from '../helpers/template.ts';

describe(`CloudFormation resource specification ${specification.ResourceSpecificationVersion}`, function () {
  this.timeout(180_000);
  let template: Template;
  before(async () => {
    template = (await packagedTemplate('prod')).template;
  });

  it('every resource of the packaged template: known type, known properties, required ones present, literal types right', () => {
    expect(Object.keys(template.Resources).length).to.be.greaterThan(80);
    expect(checkTemplate(template)).to.deep.equal([]);
  });

  it('every allow-listed newer property names the AWS documentation page that defines it', () => {
    for (const [prop, page] of Object.entries(NEWER_THAN_SPEC)) expect(page, prop).to.match(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  describe('flags a mutated template', () => {
    const cases: [string, (t: Template) => void, RegExp][] = [
      ['an unknown resource type', (t) => (t.Resources.DataBucket!.Type = 'AWS::S3::Buckets'), /^DataBucket: unknown resource type AWS::S3::Buckets$/],
      ['an unknown top-level property', (t) => (t.Resources.DataBucket!.Properties.Versioning = { Status: 'Enabled' }), /^DataBucket\.Versioning: no such property of AWS::S3::Bucket$/],
      ['an unknown nested property', (t) => (t.Resources.AthenaWorkGroup!.Properties.WorkGroupConfiguration.BytesScannedCutoff = 1), /^AthenaWorkGroup\.WorkGroupConfiguration\.BytesScannedCutoff: no such property/],
      ['a missing required property', (t) => delete t.Resources.GlueDatabase!.Properties.DatabaseInput, /^GlueDatabase: required property DatabaseInput is missing$/],
      ['a missing required property in a list item', (t) => delete t.Resources.ResultsBucket!.Properties.LifecycleConfiguration.Rules[0].Status, /^ResultsBucket\.LifecycleConfiguration\.Rules\[0\]: required property Status is missing$/],
      ['a string where an integer belongs', (t) => (t.Resources.AthenaWorkGroup!.Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery = 'ten GiB'), /BytesScannedCutoffPerQuery: expected (Long|Integer), got "ten GiB"$/],
      ['an object where a boolean belongs', (t) => (t.Resources.DataBucket!.Properties.PublicAccessBlockConfiguration.BlockPublicAcls = { yes: 1 }), /BlockPublicAcls: expected Boolean/],
      ['a map where a list belongs', (t) => (t.Resources.LakeCrawler!.Properties.Targets.S3Targets = { Path: 's3://x/' }), /S3Targets: expected a list$/],
    ];
    for (const [name, mutate, expected] of cases) {
      it(name, () => {
        const t = copyOf(template);
        mutate(t);
        const errors = checkTemplate(t);
        expect(errors).to.have.length(1);
        expect(errors[0]).to.match(expected);
      });
    }
  });
});
