import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('count_trackcode_by_range');
