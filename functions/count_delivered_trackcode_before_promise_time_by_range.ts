import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('count_delivered_trackcode_before_promise_time_by_range');
