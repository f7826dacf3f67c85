import { tokenAuthorizerHandler } from '../src/lambda/identity/authorizer.ts';

/** The shared TOKEN authorizer of every query endpoint (docs/design.md §5). */
export const handler = tokenAuthorizerHandler();
