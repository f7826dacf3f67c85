import { whoami } from '../src/http/whoami.ts';

export const handler = whoami;
