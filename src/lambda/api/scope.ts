/** Who is asking, for a handler: the authorizer's context, read only when it can be trusted. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { contextTrusted } from '../identity/context-seal.ts';
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
