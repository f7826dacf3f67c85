import { whoami } from '../src/lambda/api/whoami.ts';

export const handler = whoami;
