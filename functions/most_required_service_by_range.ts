import { queryHandler } from '../src/http/handler.ts';

export const handler = queryHandler('most_required_service_by_range');
