/**
 * Exactly one access record and one EMF document per API request answered by a handler
 * (docs/design.md §11), whatever happened: the query handler and /whoami both answer through this.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { useLambdaContext } from '../log.ts';
import { writeAccess } from '../usage/access-log.ts';
import { publishRequestMetrics } from '../usage/metrics.ts';
import { accessRecord, roundMs } from '../usage/record.ts';
import { withCors } from './cors.ts';
import { errorResponse } from './response.ts';
import type { PiiMode } from '../privacy/modes.ts';

/** What the access record learns while a request is answered (filled in as the request goes). */
export interface RequestFacts {
  clientId: number | null;
  /** A refused request's unverified client (the id presented to the token endpoint). */
  claimedClientId: number | null;
  from: string | null;
  to: string | null;
  rows: number | null;
  bytesScanned: number | null;
  engineMs: number | null;
  resultReused: boolean | null;
  /** The privacy mode the answer was given in (docs/privacy.md), once the caller's scope is known. */
  pii: PiiMode | null;
}

/** The error body's code (the API's `{error: {code}}`, or RFC 6749's `{error}`), null for success. */
function errorCodeOf(response: APIGatewayProxyResult): string | null {
  if (response.statusCode < 400) return null;
  try {
    const error = (JSON.parse(response.body) as { error?: string | { code?: string } }).error;
    return (typeof error === 'string' ? error : error?.code) ?? null;
  } catch {
    return null;
  }
}

/**
 * A Lambda handler that answers through `answer` (errors mapped in src/lambda/api/response.ts) and
 * leaves exactly one access record and one EMF document per request, whatever happened.
 */
export function withAccessRecord(
  endpoint: string,
  answer: (event: APIGatewayProxyEvent, context: Partial<Context> | undefined, requestId: string, facts: RequestFacts) => Promise<APIGatewayProxyResult>,
) {
  // CORS for the request's Origin (a listed origin may read the answer, any other gets no CORS header).
  return withCors(async (event: APIGatewayProxyEvent, context?: Partial<Context>): Promise<APIGatewayProxyResult> => {
    const started = performance.now();
    useLambdaContext(context);
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const facts: RequestFacts = { clientId: null, claimedClientId: null, from: null, to: null, rows: null, bytesScanned: null, engineMs: null, resultReused: null, pii: null };
    let response: APIGatewayProxyResult;
    try {
      response = await answer(event, context, requestId, facts);
    } catch (e) {
      response = errorResponse(e, requestId);
    }
    const record = accessRecord({
      requestId, query: endpoint, ...facts,
      status: response.statusCode, errorCode: errorCodeOf(response), durationMs: roundMs(performance.now() - started), decidedBy: 'handler',
    });
    writeAccess(record);
    publishRequestMetrics(record);
    return response;
  });
}
