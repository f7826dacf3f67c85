/** A deployed stage's CloudFormation outputs (bucket names, API URL, workgroup…), as operator commands find them. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export const stackName = (stage: string) => `lakegate-${stage}`;

export async function stackOutputs(stage: string, region: string): Promise<Record<string, string | undefined>> {
  const { Stacks } = await new CloudFormationClient({ region }).send(new DescribeStacksCommand({ StackName: stackName(stage) }));
  return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue]));
}
