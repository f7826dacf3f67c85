/** GET /whoami: the caller's identity as the authorizer established it. No engine; one access record, like every request. */
import { Forbidden } from '../errors.ts';
import { withAccessRecord } from './access-record.ts';
import { trustedScope } from './scope.ts';
import { COMMON_HEADERS } from './response.ts';

export const whoami = withAccessRecord('whoami', async (event, _context, _requestId, facts) => {
  const scope = trustedScope(event);
  if (!scope) throw new Forbidden('no client scope from the authorizer');
  facts.clientId = scope.clientId;
  facts.pii = scope.pii;
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...COMMON_HEADERS },
    body: JSON.stringify({ clientId: scope.clientId, rowScope: scope.allClients ? 'all' : 'own', maxRangeDays: scope.maxRangeDays, pii: scope.pii }),
  };
});
