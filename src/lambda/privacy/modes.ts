/**
 * How a client sees personal data (docs/privacy.md), set per access rule (`pii`):
 * - `masked`: a shape that keeps what analysis needs (initials, an e-mail's domain, a phone's
 *   last four digits, a street without its number, coordinates to about 1 km) — the default;
 * - `pseudonymized`: a keyed pseudonym per value (equal values, equal pseudonyms), coordinates masked;
 * - `clear`: the stored values.
 */
export const PII_MODES = ['masked', 'pseudonymized', 'clear'] as const;
export type PiiMode = (typeof PII_MODES)[number];

/** Privacy by default: a rule without `pii`, or a context without it, is masked. */
export const DEFAULT_PII_MODE: PiiMode = 'masked';

export const isPiiMode = (v: unknown): v is PiiMode => (PII_MODES as readonly unknown[]).includes(v);
