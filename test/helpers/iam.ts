/**
 * Offline IAM evaluation of a packaged template's roles with @cloud-copilot/iam-simulate
 * (AGPL-3.0, a test-only dev dependency: it is never bundled into a Lambda artifact). The
 * template's intrinsics are resolved as in a made-up account (cfn.ts); each request is evaluated
 * against the role's identity policies and, for S3 and KMS, the bucket or key policy, as AWS
 * does for a same-account caller.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { resolve, TEST_DEPLOYMENT } from './cfn.ts';
import type { Template } from './template.ts';

export type Expected = 'allow' | 'deny';

/** One row of the IAM table: what a role asks of AWS, and whether it must be allowed. */
export interface IamCase {
  readonly role: string;
  readonly action: string;
  /** A concrete ARN; `{Name}` is replaced by the resolved `Ref` of resource Name (e.g. `{DataBucket}`). */
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
  readonly expect: Expected;
  /** Why the row exists (printed when it fails). */
  readonly why: string;
}

export interface IamVerdict {
  readonly row: IamCase;
  readonly resource: string;
  readonly result: string;
  readonly ok: boolean;
}

/** The ARN of the account's resources named in a row, with `{Logical}` placeholders resolved. */
export function concreteArn(template: Template, text: string): string {
  return text.replace(/\{([A-Za-z0-9]+)\}/g, (_, logical: string) => resolve({ Ref: logical }, template));
}

/** The resource policy that also applies to a request (S3 bucket policy, KMS key policy), if any. */
function resourcePolicy(template: Template, arn: string): unknown {
  for (const r of Object.values(template.Resources)) {
    if (r.Type === 'AWS::S3::BucketPolicy') {
      const bucket = resolve(r.Properties.Bucket, template);
      if (arn === `arn:aws:s3:::${bucket}` || arn.startsWith(`arn:aws:s3:::${bucket}/`)) return resolve(r.Properties.PolicyDocument, template);
    }
  }
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::KMS::Key' && arn === resolve({ 'Fn::GetAtt': [id, 'Arn'] }, template)) return resolve(r.Properties.KeyPolicy, template);
  }
  return undefined;
}

/** Evaluate every row against the template; rows whose outcome differs from `expect` have ok = false. */
export async function evaluateIamTable(template: Template, rows: readonly IamCase[]): Promise<IamVerdict[]> {
  const { account } = TEST_DEPLOYMENT;
  const verdicts: IamVerdict[] = [];
  for (const row of rows) {
    const role = template.Resources[row.role];
    if (!role || role.Type !== 'AWS::IAM::Role') {
      verdicts.push({ row, resource: row.resource, result: `no role ${row.role} in the template`, ok: false });
      continue;
    }
    const policies = (role.Properties.Policies ?? []).map((p: any) => ({ name: p.PolicyName, policy: resolve(p.PolicyDocument, template) }));
    const resource = concreteArn(template, row.resource);
    const onResource = resourcePolicy(template, resource);
    const simulation: Simulation = {
      request: {
        principal: `arn:aws:iam::${account}:role/${row.role}`,
        action: row.action,
        resource: { resource, accountId: account },
        contextVariables: {
          ...(row.action.startsWith('s3:') ? { 'aws:SecureTransport': 'true' } : {}),
          ...row.context,
        },
      },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(onResource ? { resourcePolicy: onResource as any } : {}),
    };
    const out = await runSimulation(simulation, {});
    // A context key the evaluator does not know for this action is ignored by it: the row would
    // then test less than it says, so it fails instead.
    const ignored = out.resultType === 'single' ? (out.result.ignoredContextKeys ?? []) : [];
    const result =
      out.resultType === 'error' ? `error: ${JSON.stringify(out.errors)}`
      : ignored.length > 0 ? `context keys not evaluated: ${ignored.join(', ')}`
      : out.overallResult;
    const allowed = result === 'Allowed';
    verdicts.push({ row, resource, result, ok: out.resultType !== 'error' && ignored.length === 0 && allowed === (row.expect === 'allow') });
  }
  return verdicts;
}

/** Human-readable lines for the rows that did not evaluate as expected. */
export const describeFailures = (verdicts: readonly IamVerdict[]) =>
  verdicts.filter((v) => !v.ok).map((v) => `${v.row.role} ${v.row.action} ${v.resource} ${JSON.stringify(v.row.context ?? {})}: expected ${v.row.expect}, got ${v.result} — ${v.row.why}`);
