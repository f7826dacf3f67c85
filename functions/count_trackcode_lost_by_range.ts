import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('count_trackcode_lost_by_range');
