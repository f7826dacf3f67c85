/**
 * Writes access records: a Powertools log line (`"message":"access"` plus the record's fields,
 * so CloudWatch Logs Insights reads them as fields) and, locally, one JSON line appended to the
 * access-log file that `npm run usage` reads. The access log is always on (it is the usage and
 * audit record), whatever LAKEGATE_LOG_LEVEL says — except `silent`, which tests use.
 *
 * Every function of the local gateway appends whole lines with O_APPEND writes, so lines from
 * concurrent requests never interleave; the file is rotated by size (rotating-file.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { logLevel, usageConfig } from '../config.ts';
import { errorFields, log, SERVICE_NAME } from '../log.ts';
import type { AccessRecord } from './record.ts';
import { RotatingFile } from './rotating-file.ts';

export const ACCESS_MESSAGE = 'access';

let accessLogger: Logger | undefined;
let accessFile: RotatingFile | null | undefined;
let listener: ((record: AccessRecord) => void) | undefined;

function appendToFile(line: string): void {
  if (accessFile === undefined) {
    const { accessLogFile, accessLogRotation } = usageConfig();
    accessFile = accessLogFile ? new RotatingFile(accessLogFile, accessLogRotation) : null;
  }
  accessFile?.append(line);
}

/** Record one request. Never throws: a full disk must not turn an answer into a 500. */
export function writeAccess(record: AccessRecord): void {
  try {
    accessLogger ??= new Logger({ serviceName: SERVICE_NAME, logLevel: logLevel() === 'silent' ? 'SILENT' : 'INFO' });
    accessLogger.info(ACCESS_MESSAGE, { ...record });
    appendToFile(`${JSON.stringify(record)}\n`);
  } catch (e) {
    log.error('access log write failed', errorFields(e));
  }
  listener?.(record);
}

/** For tests: see every record written in this process; returns the function that stops it. */
export function onAccess(fn: (record: AccessRecord) => void): () => void {
  listener = fn;
  return () => {
    if (listener === fn) listener = undefined;
  };
}
