/**
 * The shared query handler: every `functions/<query>.ts` is `queryHandler('<query>')`.
 * Scope from the authorizer only → the client's plan limits (locally) → validated parameters →
 * engine → JSON/CSV; every error is mapped in src/lambda/api/response.ts. Every request, answered or
 * refused, leaves exactly one access record and one metrics document.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { namedQuery } from '../catalog.ts';
import { engineConfig } from '../config.ts';
import { getEngine } from '../engine/index.ts';
import { EngineTimeout } from '../errors.ts';
import { withTimeout } from '../../shared/timeout.ts';
import { pageTokens } from './page-tokens.ts';
import { parseRequest } from './params.ts';
import { callerScope } from './scope.ts';
import { answerResponse, negotiate, stillRunningResponse } from './response.ts';
import { QueryStillRunning } from '../engine/types.ts';
import { getLimiter } from '../limits/limiter.ts';
import { planOf } from '../limits/plans.ts';
import { roundMs } from '../usage/record.ts';
import { withAccessRecord, type RequestFacts } from './access-record.ts';
import { headerValue } from './headers.ts';
import { pseudonymKey } from '../privacy/pseudonym-key.ts';
import { keyNeeded } from '../privacy/statements.ts';

/** Time kept back from Lambda's own deadline to answer cleanly when the engine is cut off. */
const RESPONSE_MARGIN_MS = 1500;
/** How long past the deadline an engine may take to give up by itself before the handler does. */
const ENGINE_GRACE_MS = 500;

/**
 * The engine's answer, or a 504 once the deadline (plus a little grace) has passed: even an
 * engine that hangs cannot hold a request past its deadline. The engine is told to stop by the
 * same deadline (DuckDB interrupts its query; Athena hands back a cursor).
 */
function withinDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  return withTimeout(work, deadline - Date.now() + ENGINE_GRACE_MS, () => new EngineTimeout('the query did not finish in time'));
}

/** Query-string values as lists (REST APIs give both forms; older callers only the single one). */
function queryValues(event: APIGatewayProxyEvent): Record<string, string[] | undefined> {
  if (event.multiValueQueryStringParameters) return event.multiValueQueryStringParameters;
  return Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).map(([k, v]) => [k, v === undefined ? undefined : [v]]));
}

export function queryHandler(name: string) {
  const query = namedQuery(name); // an unknown name fails at cold start, not per request

  async function answer(event: APIGatewayProxyEvent, context: Partial<Context> | undefined, requestId: string, facts: RequestFacts): Promise<APIGatewayProxyResult> {
    const scope = callerScope(event, facts);
    // Counted before validation, as API Gateway's usage plans count every authorized request.
    (await getLimiter())?.admit(scope.clientId, planOf(event.requestContext?.authorizer));
    const format = negotiate(headerValue(event.headers, 'accept'));
    const request = parseRequest(query, queryValues(event), scope);
    const engine = await getEngine();
    const binding = {
      engine: engine.name, query: query.name, clientId: scope.clientId, allClients: scope.allClients,
      from: request.normalized.from as string, to: request.normalized.to as string, pii: scope.pii,
    };
    facts.from = binding.from;
    facts.to = binding.to;
    // The page-token secret is only loaded when a token is opened or sealed.
    const cursor = request.nextToken !== undefined ? (await pageTokens()).open(request.nextToken, binding) : undefined;
    // Personal columns come out in the caller's mode, inside the engine's SQL; the key only when that SQL needs it.
    const privacy = { mode: scope.pii, ...(keyNeeded(query, scope.pii) ? { key: await pseudonymKey() } : {}) };
    const lambdaLeft = context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
    const deadline = Date.now() + Math.min(engineConfig().queryDeadlineMs, lambdaLeft - RESPONSE_MARGIN_MS);
    let result;
    const engineStarted = performance.now();
    try {
      const run = engine.run({
        query,
        params: request.params,
        deadline,
        requestKey: requestId,
        privacy,
        ...(request.page ? { page: request.page } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      result = await withinDeadline(run, deadline);
    } catch (e) {
      if (e instanceof QueryStillRunning) {
        return stillRunningResponse({ query, params: request.normalized, nextToken: (await pageTokens()).seal(binding, e.cursor) });
      }
      throw e;
    } finally {
      facts.engineMs = roundMs(performance.now() - engineStarted);
    }
    facts.rows = result.rows.length;
    if (typeof result.stats.bytesScanned === 'number') facts.bytesScanned = result.stats.bytesScanned;
    if (typeof result.stats.resultReused === 'boolean') facts.resultReused = result.stats.resultReused;
    const nextToken = result.cursor === null ? null : (await pageTokens()).seal(binding, result.cursor);
    return answerResponse({ query, params: request.normalized, result, nextToken }, format);
  }

  return withAccessRecord(query.name, answer);
}
