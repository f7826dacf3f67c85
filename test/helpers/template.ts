/**
 * `serverless package` with no AWS credentials at all, once per stage per test run: every test
 * file that checks the CloudFormation template (the deployment contract, the IAM table, the
 * resource specification) reads the same packaged output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageService } from '../../harness/package.ts';
import { scratchPath } from './lake.ts';

export type Resource = { Type: string; Properties: Record<string, any>; [attribute: string]: any };
export type Template = { Resources: Record<string, Resource>; Outputs: Record<string, unknown> };
export interface Packaged {
  /** The folder of the artifacts (one zip per function) and the templates. */
  readonly dir: string;
  readonly template: Template;
}

async function pack(stage: string): Promise<Packaged> {
  const dir = scratchPath(`package-${stage}`);
  await packageService({ stage, out: dir });
  const template = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir, template };
}

const packaged = new Map<string, Promise<Packaged>>();
/** The framework stages artifacts in a shared .serverless/ folder: one packaging at a time. */
let queue: Promise<unknown> = Promise.resolve();

/** The packaged template of a stage (packaged on first call, then shared by every test file). */
export function packagedTemplate(stage: string): Promise<Packaged> {
  let p = packaged.get(stage);
  if (!p) {
    p = queue.then(() => pack(stage));
    queue = p.catch(() => undefined);
    packaged.set(stage, p);
  }
  return p;
}

export const resourcesOfType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** A deep copy to mutate in a test without touching the shared template. */
export const copyOf = (t: Template): Template => structuredClone(t);
