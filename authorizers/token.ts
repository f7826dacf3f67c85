import { tokenAuthorizerHandler } from '../src/lambda/identity/authorizer.ts';

/** The shared TOKEN authorizer of every query endpoint (DESIGN §5). */
export const handler = tokenAuthorizerHandler();
