/**
 * Resolves the CloudFormation intrinsics of a packaged template (Ref, Fn::GetAtt, Fn::Sub,
 * Fn::Join) to the concrete strings a deployment in a made-up account would produce, so IAM
 * policies can be evaluated offline as AWS would see them. Physical names follow each resource's
 * own `Name`-like property where it has one, else a readable stand-in; ARNs follow each
 * service's documented format.
 */
import type { Resource, Template } from './template.ts';

export interface Deployment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

export const TEST_DEPLOYMENT: Deployment = { account: '123456789012', region: 'us-east-1', partition: 'aws' };

/** The value of `Ref` for a resource (its physical id), by type. */
function physicalId(logicalId: string, r: Resource, d: Deployment): string {
  const p = r.Properties ?? {};
  switch (r.Type) {
    case 'AWS::S3::Bucket':
      return p.BucketName ?? `lakegate-${logicalId.toLowerCase()}-0a1b2c3d`;
    case 'AWS::Glue::Database':
      return p.DatabaseInput.Name;
    case 'AWS::KMS::Key':
      return `${logicalId.toLowerCase()}-1234abcd-12ab-34cd-56ef-1234567890ab`;
    case 'AWS::IAM::Role':
      return p.RoleName ?? `lakegate-${logicalId}`;
    case 'AWS::Lambda::Function':
      return p.FunctionName ?? logicalId;
    case 'AWS::ApiGateway::RestApi':
      return 'a1b2c3d4e5';
    default:
      return p.Name ?? logicalId;
  }
}

function attribute(logicalId: string, attr: string, t: Template, d: Deployment): string {
  const r = t.Resources[logicalId];
  if (!r) throw new Error(`Fn::GetAtt of unknown resource ${logicalId}`);
  const id = physicalId(logicalId, r, d);
  const key = `${r.Type}.${attr}`;
  switch (key) {
    case 'AWS::S3::Bucket.Arn':
      return `arn:${d.partition}:s3:::${id}`;
    case 'AWS::KMS::Key.Arn':
      return `arn:${d.partition}:kms:${d.region}:${d.account}:key/${id}`;
    case 'AWS::KMS::Key.KeyId':
      return id;
    case 'AWS::IAM::Role.Arn':
      return `arn:${d.partition}:iam::${d.account}:role/${id}`;
    case 'AWS::Lambda::Function.Arn':
      return `arn:${d.partition}:lambda:${d.region}:${d.account}:function:${id}`;
    case 'AWS::ApiGateway::RestApi.RootResourceId':
      return 'root0abc12';
    default:
      throw new Error(`Fn::GetAtt ${key} is not modelled in test/helpers/cfn.ts`);
  }
}

function ref(name: string, t: Template, d: Deployment): string {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': d.account,
    'AWS::Region': d.region,
    'AWS::Partition': d.partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'lakegate-test',
  };
  if (name in pseudo) return pseudo[name]!;
  const r = t.Resources[name];
  if (!r) throw new Error(`Ref of unknown resource ${name}`);
  return physicalId(name, r, d);
}

/** A template value with every intrinsic function replaced by its deployed value. */
export function resolve(value: unknown, t: Template, d: Deployment = TEST_DEPLOYMENT): any {
  if (Array.isArray(value)) return value.map((v) => resolve(v, t, d));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const arg = o[k];
    if (k === 'Ref') return ref(arg as string, t, d);
    if (k === 'Fn::GetAtt') {
      const [id, attr] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
      return attribute(id!, attr!, t, d);
    }
    if (k === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return resolve(parts, t, d).join(sep);
    }
    if (k === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
      const own = resolve(vars, t, d) as Record<string, string>;
      return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        if (name in own) return own[name]!;
        const dot = name.indexOf('.');
        return dot > 0 && !name.startsWith('AWS::') ? attribute(name.slice(0, dot), name.slice(dot + 1), t, d) : ref(name, t, d);
      });
    }
    if (k.startsWith('Fn::')) throw new Error(`${k} is not modelled in test/helpers/cfn.ts`);
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(o[k], t, d)]));
}
