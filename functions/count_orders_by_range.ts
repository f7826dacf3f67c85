import { queryHandler } from '../src/http/handler.ts';

export const handler = queryHandler('count_orders_by_range');
