import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('get_money_from_routes_by_range');
