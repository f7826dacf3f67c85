/** GET /whoami: the caller's identity as the authorizer established it. No engine; one access record, like every request. */
import { withAccessRecord } from './access-record.ts';
import { callerScope } from './scope.ts';
import { COMMON_HEADERS } from './response.ts';

export const whoami = withAccessRecord('whoami', async (event, _context, _requestId, facts) => {
  const scope = callerScope(event, facts);
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...COMMON_HEADERS },
    body: JSON.stringify({ clientId: scope.clientId, rowScope: scope.allClients ? 'all' : 'own', maxRangeDays: scope.maxRangeDays, pii: scope.pii }),
  };
});
