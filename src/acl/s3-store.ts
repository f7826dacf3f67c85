// Placeholder replaced by the S3 store (issue 4).
import type { AclStore } from './store.ts';
export const S3AclStore = {
  fromUri(_uri: string): AclStore {
    throw new Error('the S3 access-table store is not built yet');
  },
};
