/**
 * The catalog of named queries: one SQL file per query in `queries/`, whose header comments
 * declare what the catalog needs to know. Adding a query is one SQL file (plus its one-line
 * Lambda file in `functions/`); the API, serverless.yml, named queries and tests pick it up.
 *
 * Header format (comment lines at the top of the file):
 *
 *   -- <one-line description>
 *   -- @columns name type, name type, ...     (output columns, in order; JSON types below)
 *   -- @limit default D max M                 (optional: the query takes `:limit` from the request)
 *   -- @page created_at, key                  (optional: paginated by limit/nextToken over a
 *                                              unique sort key starting with the range column,
 *                                              the page picked in the SQL with :page_rows and
 *                                              :after_<key>; default 100, max 1000 rows)
 *   -- @pii column kind, column kind, ...     (the output columns that carry personal data, with
 *                                              their kind: name, email, phone, address, coordinate;
 *                                              required for every output derived from one of the
 *                                              lake's personal columns, see privacy/taint.ts)
 *
 * Parameters are the `:name`s used in the SQL; each name has one type for every query.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compileNamedParams, type CompiledSql } from './named-params.ts';
import { queriesDir } from './config.ts';
import { DIMENSION_TABLES, FACT_TABLES, LAKE_TABLES, PERSONAL_COLUMNS, ROLLUP_TABLES, type PersonalKind } from './lake/layout.ts';
import { personalOutputPositions } from './privacy/taint.ts';
import { QUERY_NAME } from './ids.ts';

/** Types of output columns, as they appear in the API's `columns` and in Athena's metadata. */
export type OutputType = 'bigint' | 'integer' | 'double' | 'varchar' | 'boolean' | 'timestamp';
const OUTPUT_TYPES: readonly OutputType[] = ['bigint', 'integer', 'double', 'varchar', 'boolean', 'timestamp'];

/** Types of SQL parameters. */
export type ParamType = 'timestamp' | 'integer' | 'bigint' | 'boolean';

/**
 * Every parameter a query may use. `from`/`to` come from the request; the scope (`client_id`,
 * `all_clients`) only ever comes from the authorizer's context; `limit` from the request where
 * the query declares `@limit`.
 */
export const PARAM_TYPES = {
  from: 'timestamp',
  to: 'timestamp',
  client_id: 'integer',
  all_clients: 'boolean',
  limit: 'integer',
  // Rollup paths only (queries/rollups/): the dt days read from the daily rollup, set by the engine.
  rollup_from: 'timestamp',
  rollup_to: 'timestamp',
  // Keyset pages picked in the SQL (`@page created_at, order_id`): the engine sets the sort key of
  // the last row served (`after_<key>`) and how many rows to pick (`page_rows`).
  after_created_at: 'timestamp',
  after_order_id: 'bigint',
  page_rows: 'integer',
} as const satisfies Record<string, ParamType>;
export type ParamName = keyof typeof PARAM_TYPES;

export interface OutputColumn {
  readonly name: string;
  readonly type: OutputType;
}

/** An output column that carries personal data, and how to protect it (docs/privacy.md). */
export interface PersonalColumn {
  readonly column: string;
  readonly kind: PersonalKind;
}

/** The column type each kind of personal value has. */
const KIND_TYPE: Record<PersonalKind, OutputType> = { name: 'varchar', email: 'varchar', phone: 'varchar', address: 'varchar', coordinate: 'double' };

export interface Bounds {
  readonly default: number;
  readonly max: number;
}

export interface NamedQuery {
  /** Query name = endpoint path = SQL file name. */
  readonly name: string;
  readonly description: string;
  /** The query file as written (Athena SQL, named parameters). */
  readonly source: string;
  readonly columns: readonly OutputColumn[];
  /** Distinct parameter names the SQL uses. */
  readonly params: readonly ParamName[];
  /** `LIMIT :limit` bounds, for top-N queries. */
  readonly limit?: Bounds;
  /** The partitioned fact tables the query reads (FROM / JOIN). */
  readonly factTables: readonly string[];
  /** The unpartitioned dimension tables it reads (FROM / JOIN). */
  readonly dimensionTables: readonly string[];
  /**
   * Days before `from` whose partitions the query may read (`:from - INTERVAL 'N' DAY` in its
   * SQL, 0 if none): every fact partition it reads is within [from − lookback, to].
   */
  readonly lookbackDays: number;
  /** Keyset pagination: unique sort key columns, the fact table whose rows are listed, and page-size bounds. */
  readonly page?: { readonly keys: readonly string[]; readonly table: string } & Bounds;
  /** Its output columns that carry personal data (`@pii`), protected per caller by the engine. */
  readonly personal: readonly PersonalColumn[];
  /** The SQL with positional `?` placeholders (Athena, Trino grammar check). */
  readonly positional: CompiledSql;
  /** The SQL with DuckDB `$name` placeholders. */
  readonly dollar: CompiledSql;
  /**
   * The rollup path (`queries/rollups/<name>.sql`, docs/design.md §12), for aggregate queries: the same
   * columns and answer, whole days `[:rollup_from, :rollup_to)` read from the daily rollup `table`.
   */
  readonly rollup?: RollupPath;
}

export interface RollupPath extends NamedQuery {
  /** The daily rollup table it reads. */
  readonly table: string;
  /**
   * `@raw-days exact`: the path converts the rows it reads raw as well (revenue to cents), so
   * it may run only when every day it reads raw is known exact too.
   */
  readonly rawDaysExact: boolean;
}

export const PAGE_BOUNDS: Bounds = { default: 100, max: 1000 };


const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;
const KINDS = Object.keys(KIND_TYPE) as PersonalKind[];

/** `@pii column kind, …`: each a declared output column of the kind's type, once. */
function parsePersonal(text: string | undefined, columns: readonly OutputColumn[], fail: (msg: string) => never): PersonalColumn[] {
  if (text === undefined) return [];
  const declared = text.split(',').map((item) => {
    const [column, kind, ...rest] = item.trim().split(/\s+/);
    if (!column || !kind || rest.length || !KINDS.includes(kind as PersonalKind)) fail(`bad @pii entry "${item.trim()}" (column and kind: ${KINDS.join(', ')})`);
    const out = columns.find((c) => c.name === column) ?? fail(`@pii column ${column} is not an output column`);
    if (out.type !== KIND_TYPE[kind as PersonalKind]) fail(`@pii column ${column} is ${out.type}; a ${kind} is ${KIND_TYPE[kind as PersonalKind]}`);
    return { column: column!, kind: kind as PersonalKind };
  });
  if (new Set(declared.map((d) => d.column)).size !== declared.length) fail('@pii names a column twice');
  return declared;
}

const PERSONAL_NAMES = new Set(PERSONAL_COLUMNS.map((c) => c.column));
const PERSONAL_TABLES = new Set(PERSONAL_COLUMNS.map((c) => c.table));

/**
 * Refuse a query that outputs personal data without declaring it: every output the SQL derives
 * from one of the lake's personal columns (privacy/taint.ts, conservative) must be in `@pii`, so
 * a new query cannot leak by omission.
 */
function checkPersonalOutputs(sql: string, columns: readonly OutputColumn[], personal: readonly PersonalColumn[], fail: (msg: string) => never): void {
  let positions: Set<number>;
  try {
    positions = personalOutputPositions(sql, PERSONAL_NAMES, PERSONAL_TABLES);
  } catch (e) {
    return fail((e as Error).message);
  }
  const undeclared = [...positions].map((i) => columns[i]?.name ?? `#${i + 1}`).filter((name) => !personal.some((p) => p.column === name));
  if (undeclared.length) fail(`outputs personal data without declaring it in @pii: ${undeclared.join(', ')}`);
}

/** A query's SQL without its `--` comments (the annotations), for the checks that read its text. */
const withoutLineComments = (sql: string): string => sql.replace(/--.*$/gm, '');

/** Whether the SQL reads `table` (names it after FROM or JOIN). */
const readsTable = (sql: string, table: string): boolean => new RegExp(`\\b(FROM|JOIN)\\s+${table}\\b`, 'i').test(sql);

/** Parse one query file. Throws with the file name on any malformed header. */
export function parseQuery(name: string, source: string): NamedQuery {
  const fail = (msg: string): never => {
    throw new Error(`queries/${name}.sql: ${msg}`);
  };
  if (!QUERY_NAME.test(name)) fail('query name must be lower_snake_case');
  const header = source.split('\n').filter((l) => l.startsWith('--')).map((l) => l.slice(2).trim());
  const tag = (t: string) => header.find((l) => l.startsWith(`@${t} `))?.slice(t.length + 2).trim();
  const description = header.find((l) => !l.startsWith('@')) ?? fail('first comment line must describe the query');

  const columns = (tag('columns') ?? fail('missing @columns')).split(',').map((c) => {
    const [colName, type, ...rest] = c.trim().split(/\s+/);
    if (!colName || !COLUMN_NAME.test(colName) || !type || rest.length || !OUTPUT_TYPES.includes(type as OutputType)) fail(`bad column "${c.trim()}"`);
    return { name: colName!, type: type as OutputType };
  });
  const personal = parsePersonal(tag('pii'), columns, fail);

  const bounds = (text: string): Bounds => {
    const m = /^default (\d+) max (\d+)$/.exec(text) ?? fail(`bad bounds "${text}"`);
    const b = { default: Number(m[1]), max: Number(m[2]) };
    if (b.default < 1 || b.default > b.max) fail(`bad bounds "${text}"`);
    return b;
  };
  const limitTag = tag('limit');
  const pageTag = tag('page');
  const pageKeys = pageTag?.split(',').map((k) => k.trim());
  for (const k of pageKeys ?? []) if (!columns.some((c) => c.name === k)) fail(`@page key ${k} is not a column`);
  // The listed table: the fact table that has every key column (a listing of orders pages by order_id).
  const listed = pageKeys && LAKE_TABLES.find((t) => FACT_TABLES.includes(t.name) && pageKeys.every((k) => t.columns.some(([c]) => c === k)));
  if (pageKeys && !listed) fail('the @page keys must be columns of one fact table (the table listed)');
  const page = pageKeys === undefined ? undefined : { keys: pageKeys, table: listed!.name, ...PAGE_BOUNDS };
  // Paging resumes a range from its cursor, so the first key must be the range column.
  if (page && page.keys[0] !== 'created_at') fail('the first @page key must be created_at (the range column)');

  const positional = compileNamedParams(source, 'positional');
  const dollar = compileNamedParams(source, 'dollar');
  const params = [...new Set(positional.order)] as ParamName[];
  for (const p of params) if (!(p in PARAM_TYPES)) fail(`unknown parameter :${p}`);
  for (const p of ['from', 'to', 'client_id', 'all_clients'] as const) {
    if (!params.includes(p)) fail(`every query must use :${p} (range and client scope)`);
  }
  if (params.includes('limit') !== (limitTag !== undefined)) fail(':limit and @limit go together');
  if (page && limitTag !== undefined) fail('@page and @limit are exclusive');
  // A listing picks its page in the SQL itself, before any join or sort of the range: the keyset
  // after the last row served and the page's size (no engine pages a query any other way).
  const keyset = page ? ['page_rows', ...page.keys.map((k) => `after_${k}`)] : [];
  if (!keyset.every((p) => params.includes(p as ParamName))) fail(`a paginated query picks its page in the SQL: it uses :${keyset.join(', :')}`);

  const sqlBody = withoutLineComments(source);
  checkPersonalOutputs(sqlBody, columns, personal, fail);
  if (personal.length > 0 && !page) fail('personal columns are served by listings only (@page): their order is the keyset');
  const lookbacks = [...sqlBody.matchAll(/:from\s*-\s*INTERVAL\s*'(\d+)'\s*(\w+)/gi)];
  for (const m of lookbacks) if (m[2]!.toUpperCase() !== 'DAY') fail(`write lookbacks as :from - INTERVAL 'N' DAY (found ${m[0]})`);
  const lookbackDays = Math.max(0, ...lookbacks.map((m) => Number(m[1])));
  const factTables = FACT_TABLES.filter((t) => readsTable(sqlBody, t));
  const dimensionTables = DIMENSION_TABLES.filter((t) => readsTable(sqlBody, t));

  return {
    name,
    description,
    source,
    columns,
    params,
    lookbackDays,
    factTables,
    dimensionTables,
    ...(limitTag !== undefined ? { limit: bounds(limitTag) } : {}),
    ...(page ? { page } : {}),
    personal,
    positional,
    dollar,
  };
}

/**
 * A query's rollup path: parsed like a query, with the same columns and bounds, reading exactly
 * one daily rollup table (the rollup of the query's one fact table).
 */
export function parseRollupPath(query: NamedQuery, source: string): RollupPath {
  const fail = (msg: string): never => {
    throw new Error(`queries/rollups/${query.name}.sql: ${msg}`);
  };
  const parsed = parseQuery(query.name, source);
  if (JSON.stringify(parsed.columns) !== JSON.stringify(query.columns)) fail('@columns differ from the query\'s');
  if (JSON.stringify(parsed.limit) !== JSON.stringify(query.limit)) fail('@limit differs from the query\'s');
  if (query.page) fail('a paginated query has no rollup path');
  for (const p of ['rollup_from', 'rollup_to'] as const) if (!parsed.params.includes(p)) fail(`must use :${p}`);
  const body = withoutLineComments(source);
  const tables = ROLLUP_TABLES.filter((t) => readsTable(body, t.name));
  if (tables.length !== 1) fail('must read exactly one rollup table');
  const table = tables[0]!;
  if (parsed.factTables.join() !== table.rollupOf || query.factTables.join() !== table.rollupOf) {
    fail(`must read the raw ${table.rollupOf} table beside its rollup ${table.name}, like the query`);
  }
  const rawDaysExact = /^--\s*@raw-days exact\s*$/m.test(source);
  return { ...parsed, table: table.name, rawDaysExact };
}

/** Load every `*.sql` of a folder, sorted by name, with its rollup path from `rollups/` if any. */
export function loadCatalog(dir: string): ReadonlyMap<string, NamedQuery> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  return new Map(
    files.map((f) => {
      const name = f.slice(0, -'.sql'.length);
      const query = parseQuery(name, readFileSync(path.join(dir, f), 'utf8'));
      const rollupFile = path.join(dir, 'rollups', f);
      if (!existsSync(rollupFile)) return [name, query] as const;
      return [name, { ...query, rollup: parseRollupPath(query, readFileSync(rollupFile, 'utf8')) }] as const;
    }),
  );
}

let cached: ReadonlyMap<string, NamedQuery> | undefined;

/** The project's catalog (read once per process). */
export function catalog(): ReadonlyMap<string, NamedQuery> {
  cached ??= loadCatalog(queriesDir());
  return cached;
}

/** A query by name; throws if unknown (a programming error: endpoints are generated from the catalog). */
export function namedQuery(name: string): NamedQuery {
  const q = catalog().get(name);
  if (!q) throw new Error(`unknown named query "${name}"`);
  return q;
}
