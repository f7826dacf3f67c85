import { withCors } from '../src/http/cors.ts';
import { publicRoutes } from '../src/pages/public.ts';

export const handler = withCors(publicRoutes);
