import { jwksHandler } from '../src/oauth/handler.ts';

export const handler = jwksHandler();
