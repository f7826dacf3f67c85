/**
 * The masking SQL (src/lambda/privacy/masks.ts) run by DuckDB against an independent reference
 * (test/helpers/privacy-reference.ts), as properties over arbitrary values: unicode, empty and
 * blank strings, null, short phones, odd e-mails, words with digits. Then the pseudonyms'
 * properties, and the Trino side: the same rules' SQL parses as Trino and binds the key as a
 * binary literal.
 */
import { BLOB, DuckDBBlobValue, DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { TrinoSQL } from 'dt-sql-parser';
import type { PersonalKind } from '../../src/lambda/lake/layout.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { athenaStatement } from '../../src/lambda/engine/athena/literals.ts';
import { compileNamedParams } from '../../src/lambda/named-params.ts';
import { DUCKDB_MASKS, protectedValue } from '../../src/lambda/privacy/masks.ts';
import { PII_MODES, type PiiMode } from '../../src/lambda/privacy/modes.ts';
import { PseudonymKey } from '../../src/lambda/privacy/pseudonym-key.ts';
import { keyNeeded, readsKey, statementFor } from '../../src/lambda/privacy/statements.ts';
import { referenceValue } from '../helpers/privacy-reference.ts';

type Value = string | number | null;

/** Characters the rules treat specially, mixed with any code point (no NUL: not a VARCHAR character). */
const character = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(' ', ' ', '@', '.', ',', '0', '5', '9', "'", '-', '+', 'é', 'Ñ', 'a', 'Z', '\n', '\t') },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000') },
);
const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: character, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '   ', 'María José Quispe', "D'Angelo", 'Cher', 'ana@mail', '@x.io', 'a@b.c', 'a@@b.co', '+56 9 1234 5678', '1234', 'Av. Larco 345, Dpto 302', '123 Main St') },
);
const value = (kind: PersonalKind): fc.Arbitrary<Value> =>
  kind === 'coordinate'
    ? fc.oneof(fc.double({ min: -180, max: 180, noNaN: true }), fc.constantFrom(0, -0.005, 0.005, 2.675, -12.345, 0.125, null))
    : fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: fc.constant(null) });

const KINDS: readonly PersonalKind[] = ['name', 'email', 'phone', 'address', 'coordinate'];

describe('privacy: the engine masks personal values as the reference does', function () {
  this.timeout(120_000);
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  const secret = randomBytes(32);
  const key = new PseudonymKey(secret);

  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  after(() => db?.closeSync());

  /** The values through the mode's SQL expression, in DuckDB. */
  async function inDuckDb(kind: PersonalKind, mode: PiiMode, values: readonly Value[], with_ = key): Promise<Value[]> {
    const type = kind === 'coordinate' ? 'DOUBLE' : 'VARCHAR';
    await conn.run(`CREATE OR REPLACE TEMP TABLE v (i INTEGER, x ${type})`);
    const appender = await conn.createAppender('v');
    values.forEach((x, i) => {
      appender.appendInteger(i);
      if (x === null) appender.appendNull();
      else if (typeof x === 'number') appender.appendDouble(x);
      else appender.appendVarchar(x);
      appender.endRow();
    });
    appender.closeSync();
    const sql = compileNamedParams(`SELECT ${protectedValue(kind, mode, 'v.x', DUCKDB_MASKS)} AS y FROM v ORDER BY v.i`, 'dollar');
    const { inner, outer } = with_.blocks();
    const keyed = sql.order.includes('pseudonym_inner');
    const reader = keyed
      ? await conn.runAndReadAll(sql.text, { pseudonym_inner: new DuckDBBlobValue(inner), pseudonym_outer: new DuckDBBlobValue(outer) }, { pseudonym_inner: BLOB, pseudonym_outer: BLOB })
      : await conn.runAndReadAll(sql.text);
    // As JSON and CSV carry them: a number (no -0: JSON has none), a string, or null.
    return reader.getRows().map(([y]) => (y === null ? null : typeof y === 'number' ? y || 0 : String(y)));
  }

  for (const kind of KINDS) {
    for (const mode of PII_MODES) {
      it(`${kind}, ${mode}: equals the reference for arbitrary values (null stays null)`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(value(kind), { minLength: 1, maxLength: 40 }), async (values) => {
            const got = await inDuckDb(kind, mode, values);
            const want = values.map((v) => referenceValue(kind, mode, v, secret)).map((v) => (v === 0 ? 0 : v)); // no -0 in JSON
            expect(got).to.deep.equal(want);
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('masked examples of docs/privacy.md, exactly', async () => {
    expect(await inDuckDb('name', 'masked', ['María José Quispe', 'Cher', '  ', null])).to.deep.equal(['M. Q.', 'C.', '', null]);
    expect(await inDuckDb('email', 'masked', ['maria.quispe@gmail.com'])).to.deep.equal(['XXXXX@gmail.com']);
    expect(await inDuckDb('phone', 'masked', ['+51987654321', '123'])).to.deep.equal(['XXXXX4321', 'XXXXX']);
    expect(await inDuckDb('address', 'masked', ['Av. Larco 345, Dpto 302', "Av. O'Higgins 1234"])).to.deep.equal(['Av. Larco, Dpto', "Av. O'Higgins"]);
    expect(await inDuckDb('coordinate', 'masked', [-12.04318, -77.02824])).to.deep.equal([-12.04, -77.03]);
  });

  it('pseudonyms: lgp_ + 16 hex digits, stable, distinct for distinct values, never the value, another under another secret', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(text, { minLength: 2, maxLength: 40 }), async (values) => {
        const once = await inDuckDb('email', 'pseudonymized', values);
        const again = await inDuckDb('email', 'pseudonymized', [...values].reverse());
        const other = await inDuckDb('email', 'pseudonymized', values, new PseudonymKey(randomBytes(32)));
        for (const p of once) expect(p).to.match(/^lgp_[0-9a-f]{16}$/);
        expect(again.reverse(), 'stable').to.deep.equal(once);
        expect(new Set(once).size, 'distinct').to.equal(values.length);
        once.forEach((p, i) => expect(p).to.not.equal(values[i]));
        once.forEach((p, i) => expect(other[i], 'another secret').to.not.equal(p));
      }),
      { numRuns: 30 },
    );
  });

  it('the same value has the same pseudonym whatever its kind (one recipient links across columns)', async () => {
    const [name] = await inDuckDb('name', 'pseudonymized', ['Ana Díaz']);
    const [address] = await inDuckDb('address', 'pseudonymized', ['Ana Díaz']);
    expect(name).to.equal(address);
  });
});

describe('privacy: the Athena side of the same rules', () => {
  const listing = catalog().get('all_orders_by_range')!;
  const trino = new TrinoSQL();
  const params = { from: new Date('2024-03-01T00:00:00Z'), to: new Date('2024-03-08T00:00:00Z'), client_id: 4, all_clients: false };
  const key = new PseudonymKey(Buffer.alloc(32, 7));

  for (const mode of PII_MODES) {
    it(`all_orders_by_range, ${mode}: the statement parses with the Trino grammar`, () => {
      const errors = trino.validate(statementFor(listing, mode, 'trino').text);
      expect(errors.map((e) => `${e.startLine}:${e.startColumn} ${e.message}`)).to.deep.equal([]);
    });
  }

  it('masked: every personal column is projected through its mask and the key is a binary literal parameter, never in the SQL text', () => {
    const { sql, parameters } = athenaStatement(listing, params, { size: 10 }, { mode: 'masked', key });
    for (const column of listing.personal.map((p) => p.column)) expect(sql).to.match(new RegExp(`END AS ${column}\\b|\\) AS ${column}\\b`));
    expect(sql).to.include('regexp_like(personal.recipient_email');
    expect(sql).to.include('hmac_sha256(to_utf8(personal.recipient_email), ?)');
    expect(sql).to.match(/ORDER BY personal\.created_at, personal\.order_id$/);
    expect(parameters.filter((p) => p === `X'${key.key.toString('hex')}'`).length).to.equal(1);
    expect(sql).to.not.include(key.key.toString('hex'));
  });

  it('clear: the query as written, with no key', () => {
    const { sql, parameters } = athenaStatement(listing, params, { size: 10 }, { mode: 'clear' });
    expect(sql).to.equal(listing.positional.text);
    expect(parameters.some((p) => p.startsWith('X'))).to.equal(false);
  });

  it('the key is needed exactly where both dialects\' statements read it: masked and pseudonymized listings, nothing else', () => {
    for (const query of catalog().values()) {
      for (const mode of PII_MODES) {
        const expected = query.personal.length > 0 && mode !== 'clear';
        const label = `${query.name} ${mode}`;
        expect(readsKey(statementFor(query, mode, 'duckdb'), 'duckdb'), label).to.equal(expected);
        expect(readsKey(statementFor(query, mode, 'trino'), 'trino'), label).to.equal(expected);
        expect(keyNeeded(query, mode), label).to.equal(expected);
      }
    }
  });

  it('pseudonymized without a key fails instead of answering', () => {
    expect(() => athenaStatement(listing, params, { size: 10 }, { mode: 'pseudonymized' })).to.throw(/needs the pseudonym key/);
  });

  it('a request that says nothing is masked', () => {
    expect(() => athenaStatement(listing, params, { size: 10 })).to.throw(/masked answer needs the pseudonym key/);
  });
});
