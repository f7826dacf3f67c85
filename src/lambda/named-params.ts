/**
 * Named SQL parameters (`:from`) compiled to each engine's placeholder style.
 *
 * Query files are written once, in Athena (Trino) SQL with named parameters. DuckDB binds
 * named parameters (`$from`); Athena (and the Trino grammar check) takes positional `?` with
 * values in order of appearance, so a name used twice is passed twice.
 */

export type PlaceholderStyle = 'positional' | 'dollar';

export interface CompiledSql {
  readonly text: string;
  /** Parameter names in order of appearance (repeats included), for positional binding. */
  readonly order: readonly string[];
}

const NAME = /[a-z_][a-z0-9_]*/y;

/**
 * Replace every `:name` outside string literals, quoted identifiers and comments.
 * `::` (a PostgreSQL-style cast) is rejected: it is not Trino SQL.
 */
export function compileNamedParams(sql: string, style: PlaceholderStyle): CompiledSql {
  let out = '';
  const order: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sql, i, ch);
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated block comment');
      out += sql.slice(i, end + 2);
      i = end + 2;
    } else if (ch === ':') {
      if (next === ':') throw new Error("'::' casts are not Trino SQL; use CAST(x AS type)");
      NAME.lastIndex = i + 1;
      const m = NAME.exec(sql);
      if (!m) throw new Error(`':' not followed by a parameter name at offset ${i}`);
      order.push(m[0]);
      out += style === 'positional' ? '?' : `$${m[0]}`;
      i += 1 + m[0].length;
    } else {
      out += ch;
      i += 1;
    }
  }
  return { text: out, order };
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2; // doubled quote = escaped quote
      else return i + 1;
    } else i += 1;
  }
  throw new Error(`unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'}`);
}
