/** Who is asking, for a handler: the authorizer's context, read only when it can be trusted. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Forbidden } from '../errors.ts';
import { contextTrusted } from '../identity/context-seal.ts';
import type { RequestFacts } from './access-record.ts';
import { readScope, type ClientScope } from './params.ts';

/**
 * The caller's scope from the authorizer's context; undefined (→ 403) when there is none, it is
 * malformed, or it is not sealed by this gateway's authorizer where one seals (src/lambda/identity/context-seal.ts).
 */
export function trustedScope(event: Pick<APIGatewayProxyEvent, 'requestContext'>): ClientScope | undefined {
  const context = event.requestContext?.authorizer;
  if (!context || !contextTrusted(context)) return undefined;
  return readScope(context);
}

/** The caller's trusted scope, noted in the request's access record (client, privacy mode); 403 without one. */
export function callerScope(event: Pick<APIGatewayProxyEvent, 'requestContext'>, facts: RequestFacts): ClientScope {
  const scope = trustedScope(event);
  if (!scope) throw new Forbidden('no client scope from the authorizer');
  facts.clientId = scope.clientId;
  facts.pii = scope.pii;
  return scope;
}
