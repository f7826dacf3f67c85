import { withCors } from '../src/lambda/api/cors.ts';
import { jwksHandler } from '../src/lambda/identity/oauth/endpoints.ts';

export const handler = withCors(jwksHandler());
