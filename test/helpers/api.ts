/** Plain-function calls of the handler: API Gateway events and a spy engine. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { QueryEngine, QueryRequest, QueryResult, Row } from '../../src/lambda/engine/types.ts';

/** A REST API proxy event as API Gateway sends it after the authorizer (context values as strings). */
export function apiEvent(
  query: Record<string, string[]>,
  authorizer: Record<string, unknown> | null = { clientId: '4', rowScope: 'own', maxRangeDays: '366' },
  headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  return {
    multiValueQueryStringParameters: query,
    queryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1)!])),
    headers,
    requestContext: { requestId: 'test-request', authorizer },
  } as unknown as APIGatewayProxyEvent;
}

/** Records every request; answers `rows` (and a cursor for paged queries). */
export class SpyEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  calls: QueryRequest[] = [];
  constructor(private readonly rows: Row[] = []) {}
  async run(r: QueryRequest): Promise<QueryResult> {
    this.calls.push(r);
    return { columns: r.query.columns, rows: this.rows, cursor: r.page ? 'cursor-1' : null, stats: { engine: 'duckdb', elapsedMs: 1, source: 'raw' } };
  }
  async close() {}
}
