import { queryHandler } from '../src/http/handler.ts';

export const handler = queryHandler('get_money_from_routes_by_range');
