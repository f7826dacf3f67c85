import { expect } from 'chai';
import { TrinoSQL } from 'dt-sql-parser';
import { catalog, parseQuery, PARAM_TYPES } from '../../src/lambda/catalog.ts';
import { compileNamedParams } from '../../src/lambda/named-params.ts';

describe('named-query catalog', () => {
  const queries = [...catalog().values()];

  it('holds the eight queries of docs/design.md §3', () => {
    expect(queries.map((q) => q.name)).to.deep.equal([
      'all_orders_by_range',
      'count_delivered_trackcode_before_promise_time_by_range',
      'count_orders_by_range',
      'count_trackcode_by_range',
      'count_trackcode_lost_by_range',
      'get_money_from_routes_by_range',
      'most_required_service_by_range',
      'most_visited_location_from_trackcode_by_range',
    ]);
  });

  const trino = new TrinoSQL();
  for (const q of queries) {
    it(`${q.name}: parses with the Trino grammar (Athena engine v3)`, () => {
      const errors = trino.validate(q.positional.text);
      expect(errors.map((e) => `${e.startLine}:${e.startColumn} ${e.message}`)).to.deep.equal([]);
    });

    it(`${q.name}: filters the dt partition and created_at, and takes the scope as parameters`, () => {
      const sql = q.source.replace(/--.*$/gm, '');
      expect(sql).to.match(/\.dt >= CAST\(CAST\(:from AS DATE\) AS VARCHAR\)/);
      expect(sql).to.match(/\.dt <= CAST\(CAST\(:to AS DATE\) AS VARCHAR\)/);
      expect(sql).to.match(/\.created_at >= :from/);
      expect(sql).to.match(/\.created_at < :to/);
      expect(sql).to.match(/\(:all_clients OR \w+\.client_id = :client_id\)/);
      for (const p of q.params) expect(PARAM_TYPES).to.have.property(p);
    });
  }

  it('knows which fact tables each query reads and how far before `from`', () => {
    expect(Object.fromEntries([...catalog().values()].map((q) => [q.name, [q.factTables, q.lookbackDays]]))).to.deep.equal({
      all_orders_by_range: [['trackcode', 'orders'], 7],
      count_delivered_trackcode_before_promise_time_by_range: [['trackcode'], 0],
      count_orders_by_range: [['orders'], 0],
      count_trackcode_by_range: [['trackcode'], 0],
      count_trackcode_lost_by_range: [['trackcode'], 0],
      get_money_from_routes_by_range: [['orders'], 0],
      most_required_service_by_range: [['trackcode'], 0],
      most_visited_location_from_trackcode_by_range: [['trackcode'], 0],
    });
  });

  it('refuses a paginated query that does not pick its page in the SQL (no engine pages a whole range)', () => {
    const header = `-- A listing joined and sorted whole.
-- @columns order_id bigint, created_at timestamp
-- @page created_at, order_id
`;
    const whole = `${header}SELECT o.order_id, o.created_at FROM orders o WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR) AND o.created_at >= :from AND o.created_at < :to AND (:all_clients OR o.client_id = :client_id) ORDER BY o.created_at, o.order_id`;
    expect(() => parseQuery('listing', whole)).to.throw(/picks its page in the SQL: it uses :page_rows, :after_created_at, :after_order_id/);
    const picked = whole.replace('ORDER BY', 'AND (o.created_at > :after_created_at OR (o.created_at = :after_created_at AND o.order_id > :after_order_id)) ORDER BY') + ' LIMIT :page_rows';
    expect(parseQuery('listing', picked).page).to.deep.include({ keys: ['created_at', 'order_id'], table: 'orders' });
  });

  it('declares the paging and top-N bounds of docs/design.md §3/§4', () => {
    const all = catalog().get('all_orders_by_range')!;
    expect(all.page).to.deep.equal({ keys: ['created_at', 'order_id'], table: 'orders', default: 100, max: 1000 });
    expect(catalog().get('most_visited_location_from_trackcode_by_range')!.limit).to.deep.equal({ default: 10, max: 100 });
  });
});

describe('catalog: personal columns (docs/privacy.md)', () => {
  const listing = catalog().get('all_orders_by_range')!;
  const source = listing.source;
  const piiLine = /^-- @pii .*$/m;

  it('all_orders_by_range declares its six recipient columns, after its other columns; no other query outputs personal data', () => {
    expect(listing.personal).to.deep.equal([
      { column: 'recipient_name', kind: 'name' }, { column: 'recipient_email', kind: 'email' }, { column: 'recipient_phone', kind: 'phone' },
      { column: 'drop_address', kind: 'address' }, { column: 'drop_latitude', kind: 'coordinate' }, { column: 'drop_longitude', kind: 'coordinate' },
    ]);
    expect(listing.columns.slice(-6).map((c) => c.name)).to.deep.equal(listing.personal.map((p) => p.column));
    for (const q of catalog().values()) if (q !== listing) expect(q.personal, q.name).to.deep.equal([]);
  });

  it('refuses a query that outputs a personal column without declaring it (by omission, by renaming, through a CTE)', () => {
    expect(() => parseQuery('all_orders_by_range', source.replace(piiLine, ''))).to.throw(/outputs personal data without declaring it in @pii: recipient_name, recipient_email, recipient_phone, drop_address, drop_latitude, drop_longitude/);
    expect(() => parseQuery('all_orders_by_range', source.replace(', drop_longitude coordinate', ''))).to.throw(/without declaring it in @pii: drop_longitude$/);
    const renamed = source.replace('l.contact_phone AS recipient_phone', 'upper(l.contact_phone) AS recipient_phone');
    expect(() => parseQuery('all_orders_by_range', renamed.replace(', recipient_phone phone', ''))).to.throw(/recipient_phone/);
    const viaCte = source.replace('WITH page AS (', 'WITH phones AS (SELECT location_id AS id, contact_phone AS p FROM location), page AS (')
      .replace('l.contact_phone AS recipient_phone', '(SELECT ph.p FROM phones ph WHERE ph.id = l.location_id) AS recipient_phone');
    expect(() => parseQuery('all_orders_by_range', viaCte.replace(', recipient_phone phone', ''))).to.throw(/recipient_phone/);
  });

  it('refuses SELECT * in a query that reads personal data, an unknown kind, a kind of the wrong type, and personal columns outside a listing', () => {
    expect(() => parseQuery('all_orders_by_range', source.replace('LEFT JOIN location l', 'LEFT JOIN (SELECT * FROM location) l'))).to.throw(/no \*/);
    expect(() => parseQuery('all_orders_by_range', source.replace('recipient_name name', 'recipient_name person'))).to.throw(/bad @pii entry/);
    expect(() => parseQuery('all_orders_by_range', source.replace('drop_latitude coordinate', 'drop_latitude name'))).to.throw(/drop_latitude is double; a name is varchar/);
    const aggregate = '-- recipients\n-- @columns recipient varchar, parcels bigint\n-- @pii recipient email\n' +
      'SELECT l.contact_email AS recipient, count(*) AS parcels FROM trackcode t JOIN location l ON l.location_id = t.drop_location_id ' +
      'WHERE t.dt >= CAST(CAST(:from AS DATE) AS VARCHAR) AND t.created_at >= :from AND t.created_at < :to AND (:all_clients OR t.client_id = :client_id) GROUP BY 1';
    expect(() => parseQuery('recipients', aggregate)).to.throw(/listings only/);
  });
});

describe('named parameters', () => {
  it('compile to ? in order of appearance and to $name', () => {
    const sql = "SELECT ':not_a_param' AS s, \"a:b\" -- :comment\nFROM t WHERE a >= :from AND b < :to AND c = :from /* :x */";
    expect(compileNamedParams(sql, 'positional')).to.deep.equal({
      text: "SELECT ':not_a_param' AS s, \"a:b\" -- :comment\nFROM t WHERE a >= ? AND b < ? AND c = ? /* :x */",
      order: ['from', 'to', 'from'],
    });
    expect(compileNamedParams(sql, 'dollar').text).to.contain('a >= $from AND b < $to AND c = $from');
  });

  it('handles doubled quotes inside literals', () => {
    expect(compileNamedParams("SELECT 'it''s :x' WHERE a = :from", 'positional').order).to.deep.equal(['from']);
  });

  it('rejects :: casts, dangling colons and unterminated literals', () => {
    expect(() => compileNamedParams('SELECT a::INT', 'positional')).to.throw(/::/);
    expect(() => compileNamedParams('SELECT a : b', 'positional')).to.throw(/parameter name/);
    expect(() => compileNamedParams("SELECT 'open", 'positional')).to.throw(/unterminated/);
  });

  it('a query file must use the range and scope parameters, and only known ones', () => {
    const head = '-- d\n-- @columns n bigint\n';
    expect(() => parseQuery('q', `${head}SELECT count(*) AS n FROM orders WHERE created_at >= :from AND created_at < :to`)).to.throw(/client_id/);
    expect(() => parseQuery('q', `${head}SELECT :tenant`)).to.throw(/unknown parameter :tenant/);
    expect(() => parseQuery('q', '-- d\nSELECT 1')).to.throw(/@columns/);
    expect(() => parseQuery('Bad-Name', `${head}SELECT 1`)).to.throw(/snake_case/);
  });
});
