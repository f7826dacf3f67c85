/** The default lake: what `npm run fake-data` and `npm start` generate without flags. */
export const DEFAULT_SEED = 42;
export const DEFAULT_SCALE = 1;
