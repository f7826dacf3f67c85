/**
 * Structured JSON logs, one object per line (CloudWatch-friendly), with a correlation id where
 * the caller has one. Never log tokens, secrets or full request bodies.
 */
import { logLevel, type LogLevel } from './config.ts';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function write(level: Exclude<LogLevel, 'silent'>, message: string, fields: Record<string, unknown>): void {
  if (RANK[level] < RANK[logLevel()]) return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields });
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
}

export const log = {
  debug: (message: string, fields: Record<string, unknown> = {}) => write('debug', message, fields),
  info: (message: string, fields: Record<string, unknown> = {}) => write('info', message, fields),
  warn: (message: string, fields: Record<string, unknown> = {}) => write('warn', message, fields),
  error: (message: string, fields: Record<string, unknown> = {}) => write('error', message, fields),
};

/** The parts of an error worth logging (name, message, cause chain), never a raw object dump. */
export function errorFields(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { error: String(e) };
  const out: Record<string, unknown> = { error: e.name, reason: (e as { reason?: string }).reason ?? e.message };
  if (e.cause !== undefined) out.cause = errorFields(e.cause);
  return out;
}
