import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('all_orders_by_range');
