/** GET /whoami: the caller's identity as the authorizer established it. No engine, no I/O. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Forbidden } from '../errors.ts';
import { readScope } from './params.ts';
import { COMMON_HEADERS, errorResponse } from './response.ts';

export async function whoami(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId ?? randomUUID();
  const scope = readScope(event.requestContext?.authorizer);
  if (!scope) return errorResponse(new Forbidden('no client scope from the authorizer'), requestId);
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...COMMON_HEADERS },
    body: JSON.stringify({ clientId: scope.clientId, rowScope: scope.allClients ? 'all' : 'own', maxRangeDays: scope.maxRangeDays }),
  };
}
