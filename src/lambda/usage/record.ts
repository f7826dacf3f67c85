/**
 * The access record: one per API request, answered or refused, written by whoever decided it
 * (the authorizer for 401/403 from tokens and rules, the query handler otherwise). It holds who,
 * what, how it ended and what it cost — never a token, a secret or a row value.
 */
import type { PiiMode } from '../privacy/modes.ts';

export interface AccessRecord {
  readonly requestId: string;
  /** When the request was decided (ISO-8601 UTC). */
  readonly time: string;
  /** From the verified token; null when the token was refused before that. */
  readonly clientId: number | null;
  /**
   * The client a refused request's credentials named, unverified (a 401's token `sub`, the id
   * presented to /oauth/token): who the refusal concerns, never who was served. Null otherwise.
   */
  readonly claimedClientId?: number | null;
  /** The named query called (the path), when known. */
  readonly query: string | null;
  /** The validated range (null when the request was refused before validating it). */
  readonly from: string | null;
  readonly to: string | null;
  readonly status: number;
  /** The error body's `code` (null for 2xx). */
  readonly errorCode: string | null;
  readonly rows: number | null;
  /** Athena's DataScannedInBytes; null where the engine does not count it (DuckDB). */
  readonly bytesScanned: number | null;
  /** Time spent in the engine; null when the engine was not called. */
  readonly engineMs: number | null;
  readonly durationMs: number;
  /** Whether Athena reused an earlier result (null: not Athena, or no result). */
  readonly resultReused: boolean | null;
  /** Which component decided: `authorizer` or `handler`. */
  readonly decidedBy: 'authorizer' | 'handler';
  /** The privacy mode a handler answered in (docs/privacy.md); null when the caller's scope was not known. */
  readonly pii?: PiiMode | null;
}

/** What an access record must know; everything else it does not know yet is null. */
export type KnownFacts = Pick<AccessRecord, 'requestId' | 'query' | 'status' | 'errorCode' | 'durationMs' | 'decidedBy'> & Partial<AccessRecord>;

/** One access record, the same shape whoever decided the request (the authorizer or a handler). */
export function accessRecord(known: KnownFacts): AccessRecord {
  return {
    time: new Date().toISOString(), clientId: null, claimedClientId: null, from: null, to: null,
    rows: null, bytesScanned: null, engineMs: null, resultReused: null, pii: null, ...known,
  };
}

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

/** The query name of a method ARN (`…/{stage}/GET/{query}`), or null for anything else. */
export function queryOfMethodArn(methodArn: string): string | null {
  const m = /\/[A-Z]+\/([A-Za-z0-9_]+)$/.exec(methodArn);
  return m ? m[1]! : null;
}

/** Round a duration to 0.01 ms (what a log line needs, and stable across engines). */
export const roundMs = (ms: number) => Math.round(ms * 100) / 100;
