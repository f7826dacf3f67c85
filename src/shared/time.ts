/** Milliseconds in a UTC day (UTC days have no DST: every `dt=` partition is exactly this long). */
export const DAY_MS = 86_400_000;
