import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('most_required_service_by_range');
