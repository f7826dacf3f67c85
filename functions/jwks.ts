import { withCors } from '../src/http/cors.ts';
import { jwksHandler } from '../src/oauth/handler.ts';

export const handler = withCors(jwksHandler());
