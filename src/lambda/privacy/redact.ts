/**
 * An engine's error text without the values it quotes: DuckDB and Trino cite the offending value
 * of a failed cast or function ('…'), which may be a row's personal data, and error texts go to
 * the log (docs/privacy.md: no personal data in logs).
 */
export const withoutQuotedValues = (text: string): string => text.replace(/'(?:[^']|'')*'/g, "'…'");
