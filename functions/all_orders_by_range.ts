import { queryHandler } from '../src/http/handler.ts';

export const handler = queryHandler('all_orders_by_range');
