/**
 * The local lake the operator commands read (`LAKEGATE_LAKE_DIR`, default `.lake/`). A command
 * that needs it and finds none says so and how to make one (exit 2), instead of a stack trace.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { lakeDir } from '../lambda/config.ts';

/** The lake's folder; `command` names the command in the message when there is no lake. */
export function requireLocalLake(command: string): string {
  const dir = lakeDir();
  if (!existsSync(path.join(dir, 'lake.json'))) {
    console.error(`${command}: no lake at ${dir}: run npm start (or npm run fake-data) first`);
    process.exit(2);
  }
  return dir;
}
