import { withCors } from '../src/lambda/api/cors.ts';
import { publicRoutes } from '../src/lambda/pages/public.ts';

export const handler = withCors(publicRoutes);
