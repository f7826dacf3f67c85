/**
 * The lake's tables, exactly as docs/design.md §2 defines them. One description serves the fake-data
 * generator, the DuckDB views, the Glue crawler targets and the tests, so a column is named once.
 */

export type ColumnType = 'INTEGER' | 'BIGINT' | 'VARCHAR' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

export interface LakeTable {
  readonly name: string;
  readonly columns: readonly (readonly [name: string, type: ColumnType])[];
  /** Fact and rollup tables are Hive-partitioned by `dt=YYYY-MM-DD`, the UTC date of `created_at`. */
  readonly partitionedByDt: boolean;
  /** For a daily rollup: the fact table it aggregates, one `dt=` partition from the same day's. */
  readonly rollupOf?: 'trackcode' | 'orders';
  /** For a daily rollup: the column counting the fact rows each of its rows stands for. */
  readonly rowsColumn?: string;
}

const table = (name: string, partitionedByDt: boolean, columns: LakeTable['columns']): LakeTable => ({
  name,
  columns,
  partitionedByDt,
});

/** A daily rollup of a fact table: ids only (dimensions are joined at query time), measures exact. */
const rollup = (name: string, rollupOf: 'trackcode' | 'orders', rowsColumn: string, columns: LakeTable['columns']): LakeTable => ({
  name,
  columns,
  partitionedByDt: true,
  rollupOf,
  rowsColumn,
});

export const LAKE_TABLES = [
  table('country', false, [
    ['country_id', 'INTEGER'], ['name', 'VARCHAR'], ['iso_code', 'VARCHAR'], ['currency', 'VARCHAR'],
  ]),
  table('city', false, [
    ['city_id', 'INTEGER'], ['country_id', 'INTEGER'], ['name', 'VARCHAR'], ['timezone', 'VARCHAR'],
  ]),
  table('client', false, [
    ['client_id', 'INTEGER'], ['enterprise_key', 'VARCHAR'], ['business_name', 'VARCHAR'],
    ['commercial_name', 'VARCHAR'], ['city_id', 'INTEGER'],
  ]),
  table('service', false, [['service_id', 'INTEGER'], ['name', 'VARCHAR']]),
  table('client_service', false, [['client_id', 'INTEGER'], ['service_id', 'INTEGER']]),
  table('product_size', false, [
    ['product_size_id', 'INTEGER'], ['name', 'VARCHAR'],
    ['dim_x_cm', 'DOUBLE'], ['dim_y_cm', 'DOUBLE'], ['dim_z_cm', 'DOUBLE'],
  ]),
  table('route', false, [
    ['route_id', 'INTEGER'], ['code', 'VARCHAR'], ['city_id', 'INTEGER'],
    ['distance_km', 'DOUBLE'], ['base_price', 'DOUBLE'],
  ]),
  // Pick-up (a client's warehouse) and drop (a recipient's) points: personal data, PERSONAL_COLUMNS below.
  table('location', false, [
    ['location_id', 'BIGINT'], ['city_id', 'INTEGER'], ['address', 'VARCHAR'],
    ['latitude', 'DOUBLE'], ['longitude', 'DOUBLE'],
    ['contact_first_name', 'VARCHAR'], ['contact_last_name', 'VARCHAR'],
    ['contact_email', 'VARCHAR'], ['contact_phone', 'VARCHAR'],
  ]),
  table('trackcode', true, [
    ['trackcode_id', 'BIGINT'], ['code', 'VARCHAR'], ['client_id', 'INTEGER'], ['service_id', 'INTEGER'],
    ['pickup_city_id', 'INTEGER'], ['drop_city_id', 'INTEGER'], ['product_size_id', 'INTEGER'],
    ['product_weight_kg', 'DOUBLE'], ['product_price', 'DOUBLE'], ['crossdocking', 'BOOLEAN'],
    ['status', 'VARCHAR'], ['created_at', 'TIMESTAMP'], ['promise_time', 'TIMESTAMP'],
    ['delivered_at', 'TIMESTAMP'], ['pickup_location_id', 'BIGINT'], ['drop_location_id', 'BIGINT'],
  ]),
  table('orders', true, [
    ['order_id', 'BIGINT'], ['trackcode_id', 'BIGINT'], ['client_id', 'INTEGER'], ['route_id', 'INTEGER'],
    ['price', 'DOUBLE'], ['status', 'VARCHAR'], ['created_at', 'TIMESTAMP'], ['promise_time', 'TIMESTAMP'],
    ['start_time', 'TIMESTAMP'], ['end_time', 'TIMESTAMP'],
  ]),
  // Daily rollups (docs/design.md §12), built from the facts by queries/rollups/build/<name>.sql.
  rollup('trackcode_daily', 'trackcode', 'trackcodes', [
    ['client_id', 'INTEGER'], ['service_id', 'INTEGER'], ['drop_city_id', 'INTEGER'], ['status', 'VARCHAR'],
    ['trackcodes', 'BIGINT'], ['delivered_before_promise', 'BIGINT'],
  ]),
  rollup('orders_daily', 'orders', 'orders', [
    ['client_id', 'INTEGER'], ['route_id', 'INTEGER'], ['orders', 'BIGINT'], ['revenue_cents', 'BIGINT'],
  ]),
] as const satisfies readonly LakeTable[];

/** The lake table of this name (a name the code itself holds: a catalog's table, a rollup's source). */
export function lakeTable(name: string): LakeTable {
  const t = (LAKE_TABLES as readonly LakeTable[]).find((x) => x.name === name);
  if (!t) throw new Error(`no lake table ${name}`);
  return t;
}

/** The raw fact tables (what the named queries read; rollups are derived from them). */
export const FACT_TABLES = LAKE_TABLES.filter((t: LakeTable) => t.partitionedByDt && !t.rollupOf).map((t) => t.name);

/** The unpartitioned dimension tables. */
export const DIMENSION_TABLES = LAKE_TABLES.filter((t: LakeTable) => !t.partitionedByDt).map((t) => t.name);

/** The daily rollup tables. */
export const ROLLUP_TABLES: readonly LakeTable[] = LAKE_TABLES.filter((t: LakeTable) => t.rollupOf !== undefined);

/**
 * The access-control table lives in the lake beside the data, as JSON Lines so that the
 * authorizer can read it without a parquet reader and Glue/Athena can still catalog it.
 */
export const ACCESS_CONTROL = {
  table: 'access_control',
  file: 'access_control.json',
} as const;

/** Relative path of the access-control object inside a lake root (or data bucket). */
export const accessControlKey = `${ACCESS_CONTROL.table}/${ACCESS_CONTROL.file}`;

/** Glob of a table's parquet files inside a lake root. */
export function tableGlob(root: string, t: LakeTable): string {
  return t.partitionedByDt ? `${root}/${t.name}/dt=*/*.parquet` : `${root}/${t.name}/*.parquet`;
}

/** How a personal column is protected (docs/privacy.md): the kinds the masking rules know. */
export type PersonalKind = 'name' | 'email' | 'phone' | 'address' | 'coordinate';

/** The lake's personal columns: one list, which the catalog checks every query against. */
export const PERSONAL_COLUMNS: readonly { readonly table: string; readonly column: string; readonly kind: PersonalKind }[] = [
  { table: 'location', column: 'address', kind: 'address' },
  { table: 'location', column: 'latitude', kind: 'coordinate' },
  { table: 'location', column: 'longitude', kind: 'coordinate' },
  { table: 'location', column: 'contact_first_name', kind: 'name' },
  { table: 'location', column: 'contact_last_name', kind: 'name' },
  { table: 'location', column: 'contact_email', kind: 'email' },
  { table: 'location', column: 'contact_phone', kind: 'phone' },
];
