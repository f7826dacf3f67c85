import { oauthTokenHandler } from '../src/lambda/identity/oauth/endpoints.ts';

/** POST /oauth/token (its answers carry the CORS policy's headers and leave an access record: src/lambda/api/access-record.ts). */
export const handler = oauthTokenHandler();
