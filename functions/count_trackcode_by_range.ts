import { queryHandler } from '../src/http/handler.ts';

export const handler = queryHandler('count_trackcode_by_range');
