/**
 * Personal columns protected inside the engine (docs/privacy.md): a query that outputs personal
 * data runs wrapped in one more SELECT that replaces each personal column by its caller's form
 * (masked, pseudonymized or clear), so the stored value never leaves the engine — not into
 * Athena's result files, the Lambda, the logs or the answer.
 *
 * The rules are written once, here, over a handful of functions that are spelled differently in
 * DuckDB and Trino (regular expressions, HMAC): a `MaskDialect` per engine, with the same bytes
 * out. The patterns use only what both regex engines (RE2 in DuckDB, Java's in Trino) read the
 * same way: `\A`/`\z` anchors (never `^`/`$`, which Java reads per line), explicit classes (no `.`,
 * no `\s`), no look-around.
 */
import type { PersonalKind } from '../lake/layout.ts';
import { sqlString } from '../../shared/sql-literal.ts';
import type { PiiMode } from './modes.ts';

export interface MaskDialect {
  readonly name: 'duckdb' | 'trino';
  /** True where `pattern` matches somewhere in `s`. */
  matches(s: string, pattern: string): string;
  /** `s` with every match of `pattern` replaced by `replacement` (no group references). */
  replaceAll(s: string, pattern: string, replacement: string): string;
  /** Group `group` of the first match, '' when none. */
  extract(s: string, pattern: string, group: number): string;
  /** The first 16 lower-case hex digits of HMAC-SHA256(pseudonym key, UTF-8 bytes of `s`). */
  pseudonymHex(s: string): string;
  /** The named parameters `pseudonymHex` reads (the key, bound as values: never in the SQL text). */
  readonly keyParams: readonly string[];
}

/**
 * DuckDB has SHA-256 but no HMAC function: HMAC is spelled out (RFC 2104), H((K ⊕ opad) ‖
 * H((K ⊕ ipad) ‖ m)), with the two padded key blocks bound as BLOB parameters.
 */
export const DUCKDB_MASKS: MaskDialect = {
  name: 'duckdb',
  matches: (s, p) => `regexp_matches(${s}, ${sqlString(p)})`,
  replaceAll: (s, p, r) => `regexp_replace(${s}, ${sqlString(p)}, ${sqlString(r)}, 'g')`,
  extract: (s, p, g) => `regexp_extract(${s}, ${sqlString(p)}, ${g})`,
  pseudonymHex: (s) => `substr(sha256(:pseudonym_outer || unhex(sha256(:pseudonym_inner || encode(${s})))), 1, 16)`,
  keyParams: ['pseudonym_inner', 'pseudonym_outer'],
};

/** Trino (Athena engine v3): regexp_extract gives NULL when nothing matches; hmac_sha256 is built in. */
export const TRINO_MASKS: MaskDialect = {
  name: 'trino',
  matches: (s, p) => `regexp_like(${s}, ${sqlString(p)})`,
  replaceAll: (s, p, r) => `regexp_replace(${s}, ${sqlString(p)}, ${sqlString(r)})`,
  extract: (s, p, g) => `coalesce(regexp_extract(${s}, ${sqlString(p)}, ${g}), '')`,
  pseudonymHex: (s) => `lower(to_hex(substr(hmac_sha256(to_utf8(${s}), :pseudonym_key), 1, 8)))`,
  keyParams: ['pseudonym_key'],
};

/** What every pseudonym starts with, so a reader can tell one from a stored value. */
export const PSEUDONYM_PREFIX = 'lgp_';
/** What a masked e-mail's local part and a masked phone's leading digits become. */
export const MASK = 'XXXXX';

/** A well-formed e-mail: one `@`, a non-empty local part, a domain of dot-separated labels. */
const EMAIL = '\\A[^@ ]+@[^@ .]+(\\.[^@ .]+)+\\z';

const pseudonym = (x: string, d: MaskDialect) => `'${PSEUDONYM_PREFIX}' || ${d.pseudonymHex(x)}`;
const nullSafe = (x: string, expr: string) => `CASE WHEN ${x} IS NULL THEN NULL ELSE ${expr} END`;

/** Masked forms, per kind. Null stays null. */
const MASKED: Record<PersonalKind, (x: string, d: MaskDialect) => string> = {
  // Initials of the first and the last word (`María José Quispe` → `M. Q.`; one word → `M.`; blank → '').
  name: (x, d) => {
    const first = d.extract(x, '\\A *([^ ])', 1);
    const last = d.extract(x, '([^ ])[^ ]* *\\z', 1);
    return `CASE WHEN ${x} IS NULL THEN NULL WHEN NOT ${d.matches(x, '[^ ]')} THEN '' ` +
      `WHEN ${d.matches(x, '\\A *[^ ]+ *\\z')} THEN ${first} || '.' ELSE ${first} || '. ' || ${last} || '.' END`;
  },
  // `XXXXX@` and the domain; a malformed address is not cut (it might not hide the person): its pseudonym.
  email: (x, d) =>
    `CASE WHEN ${x} IS NULL THEN NULL WHEN ${d.matches(x, EMAIL)} THEN '${MASK}@' || ${d.extract(x, '@([^@ ]+)\\z', 1)} ELSE ${pseudonym(x, d)} END`,
  // `XXXXX` and the last four digits; four digits or fewer: `XXXXX` alone.
  phone: (x, d) => {
    const digits = d.replaceAll(x, '[^0-9]', '');
    return `CASE WHEN ${x} IS NULL THEN NULL WHEN length(${digits}) <= 4 THEN '${MASK}' ELSE '${MASK}' || ${d.extract(digits, '[0-9]{4}\\z', 0)} END`;
  },
  // The street without its house number: every word with a digit removed, spaces and commas tidied.
  address: (x, d) => {
    const noNumbers = d.replaceAll(x, '[^ ,]*[0-9][^ ,]*', '');
    const tidy = d.replaceAll(d.replaceAll(d.replaceAll(noNumbers, ' +,', ','), ' {2,}', ' '), '\\A[ ,]+|[ ,]+\\z', '');
    return nullSafe(x, tidy);
  },
  // Two decimals (about 1 km), halves away from zero, spelled out: engines' round() differ on doubles.
  coordinate: (x) => `sign(${x}) * (floor(abs(${x}) * 100 + CAST(0.5 AS DOUBLE)) / 100)`,
};

/** The SQL expression of column reference `x` (of `kind`) as a caller in `mode` sees it. */
export function protectedValue(kind: PersonalKind, mode: PiiMode, x: string, d: MaskDialect): string {
  if (mode === 'clear') return x;
  if (mode === 'masked' || kind === 'coordinate') return MASKED[kind](x, d);
  return nullSafe(x, pseudonym(x, d));
}

export interface ProtectedShape {
  /** The output columns, in order. */
  readonly columns: readonly { readonly name: string }[];
  /** The personal ones among them, with their kind. */
  readonly personal: readonly { readonly column: string; readonly kind: PersonalKind }[];
  /** The order the wrapped query's rows keep (its listing's keyset). */
  readonly orderBy: readonly string[];
}

/**
 * `sql` wrapped so that its personal columns come out in `mode`; the rows keep the query's order
 * (the outer SELECT sorts by the keyset again: Trino drops a subquery's ORDER BY). Clear needs
 * no wrapper. Column names are the catalog's (lower_snake), never request text.
 */
export function protectedSql(sql: string, shape: ProtectedShape, mode: PiiMode, d: MaskDialect): string {
  if (mode === 'clear' || shape.personal.length === 0) return sql;
  const kindOf = new Map(shape.personal.map((p) => [p.column, p.kind]));
  const items = shape.columns.map(({ name }) => {
    const kind = kindOf.get(name);
    return kind === undefined ? `personal.${name}` : `${protectedValue(kind, mode, `personal.${name}`, d)} AS ${name}`;
  });
  const order = shape.orderBy.map((k) => `personal.${k}`).join(', ');
  return `SELECT ${items.join(',\n       ')}\nFROM (\n${sql.trimEnd()}\n) personal${order ? `\nORDER BY ${order}` : ''}`;
}
