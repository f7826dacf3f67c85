import { queryHandler } from '../src/lambda/api/query-handler.ts';

export const handler = queryHandler('most_visited_location_from_trackcode_by_range');
