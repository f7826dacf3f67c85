import { oauthTokenHandler } from '../src/oauth/handler.ts';

export const handler = oauthTokenHandler();
