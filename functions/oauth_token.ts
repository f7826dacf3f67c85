import { oauthTokenHandler } from '../src/oauth/handler.ts';

/** POST /oauth/token (its answers carry the CORS policy's headers and leave an access record: src/http/access.ts). */
export const handler = oauthTokenHandler();
