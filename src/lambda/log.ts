/**
 * Structured JSON logs through Powertools for AWS Lambda's Logger: one object per line with
 * `level`, `message`, `timestamp`, `service` (and Lambda context, sampling and X-Ray trace id
 * where Lambda provides them), so logs follow the ecosystem's conventions and CloudWatch Logs
 * Insights reads them as fields. Call sites keep the small `log.info(message, fields)` API.
 * Never log tokens, secrets, row values or full request bodies.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { logLevel, type LogLevel } from './config.ts';

export const SERVICE_NAME = 'lakegate';

/** Powertools' level name for ours (`silent` is Powertools' SILENT: nothing is written). */
export function powertoolsLevel(level: LogLevel): 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' {
  return level.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

let instance: Logger | undefined;

/** The process's logger, created on first use (so LAKEGATE_LOG_LEVEL is read once, validated by config). */
export function logger(): Logger {
  instance ??= new Logger({ serviceName: SERVICE_NAME, logLevel: powertoolsLevel(logLevel()) });
  return instance;
}

/**
 * Adds the invocation's Lambda context (function name, memory, cold start, AWS request id) to the
 * following log lines, as Powertools' `injectLambdaContext` does. Test calls without one are left as they are.
 */
export function useLambdaContext(context: Partial<Context> | undefined): void {
  if (context?.awsRequestId && context.functionName) logger().addContext(context as Context);
}

type Fields = Record<string, unknown>;

export const log = {
  debug: (message: string, fields: Fields = {}) => logger().debug(message, fields),
  info: (message: string, fields: Fields = {}) => logger().info(message, fields),
  warn: (message: string, fields: Fields = {}) => logger().warn(message, fields),
  error: (message: string, fields: Fields = {}) => logger().error(message, fields),
};

/** The parts of an error worth logging (name, message, cause chain), never a raw object dump. */
export function errorFields(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { error: String(e) };
  const out: Record<string, unknown> = { error: e.name, reason: (e as { reason?: string }).reason ?? e.message };
  if (e.cause !== undefined) out.cause = errorFields(e.cause);
  return out;
}
