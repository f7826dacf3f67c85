import { withCors } from '../src/http/cors.ts';
import { oauthTokenHandler } from '../src/oauth/handler.ts';

export const handler = withCors(oauthTokenHandler());
