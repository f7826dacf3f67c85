// Placeholder replaced by the Athena adapter (issue 4).
import type { QueryEngine } from './types.ts';
export const AthenaEngine = {
  fromConfig(): QueryEngine {
    throw new Error('the Athena engine is not built yet');
  },
};
