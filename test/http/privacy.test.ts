/**
 * The leak canary, through the real gateway: for a masked client and a pseudonymized one, no
 * stored personal value of their range (read from the lake's parquet by this test) appears in any
 * page of all_orders_by_range, in JSON or CSV, nor in the gateway's logs, the access log or
 * `npm run usage`; what they get is exactly the reference's masks and pseudonyms of the stored
 * values; a clear client gets exactly the stored values. Real lake, real keys, real HTTP.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAccessTable, serializeAccessTable } from '../../src/lambda/access/model.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { readKeyFile, ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { localToken } from '../../harness/tokens.ts';
import { accessControlKey } from '../../src/lambda/lake/layout.ts';
import type { PiiMode } from '../../src/lambda/privacy/modes.ts';
import { applyCommand, parseCommand } from '../../src/ops/acl-edit.ts';
import { startGateway, type Gateway } from '../../harness/gateway.ts';
import { makeLake, scratchPath, TEST_SCALE, TEST_SEED } from '../helpers/lake.ts';
import { storedPersonalValues } from '../helpers/personal.ts';
import { referenceValue } from '../helpers/privacy-reference.ts';
import { readLake, reference } from '../helpers/reference.ts';

const run = promisify(execFile);
const RANGE = { from: '2024-03-01', to: '2024-03-15' };
const PAGE = 40;
const listing = catalog().get('all_orders_by_range')!;
/** Three of the test lake's busier shippers in the range (93, 73 and 40 orders), one per mode. */
const CLIENTS: Record<PiiMode, number> = { masked: 46, pseudonymized: 33, clear: 24 };

type Row = Record<string, string | number | null>;

describe('privacy over HTTP: the leak canary (serverless offline)', function () {
  this.timeout(240_000);
  let gateway: Gateway;
  let lakeDir: string;
  let keysDir: string;
  let accessLog: string;
  let secret: Buffer;
  const pages: Record<PiiMode, { json: string[]; csv: string[]; rows: Row[] }> = {
    masked: { json: [], csv: [], rows: [] }, pseudonymized: { json: [], csv: [], rows: [] }, clear: { json: [], csv: [], rows: [] },
  };

  const storedValues = (client: number) => storedPersonalValues(lakeDir, client, RANGE.from, RANGE.to);

  before(async () => {
    ({ dir: lakeDir } = await makeLake(TEST_SEED, TEST_SCALE, 'privacy-lake'));
    const tableFile = path.join(lakeDir, accessControlKey);
    let table = parseAccessTable(readFileSync(tableFile, 'utf8'));
    for (const [mode, client] of Object.entries(CLIENTS)) {
      table = parseAccessTable(serializeAccessTable(applyCommand(table, parseCommand(['pii', String(client), mode]), [...catalog().keys()])));
    }
    writeFileSync(tableFile, serializeAccessTable(table.values()));
    keysDir = ensureLocalKeys(scratchPath('privacy-keys'));
    secret = Buffer.from(readKeyFile(keysDir, 'pseudonymSecret').trim(), 'base64');
    accessLog = `${scratchPath('privacy-usage')}/access.log`;
    gateway = await startGateway({ LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_ACCESS_LOG_FILE: accessLog, LAKEGATE_LOG_LEVEL: 'debug' });
    // Every page of the range, in JSON and in CSV, for each client.
    for (const [mode, client] of Object.entries(CLIENTS) as [PiiMode, number][]) {
      const bearer = `Bearer ${localToken(keysDir, client, 600)}`;
      for (const accept of ['application/json', 'text/csv']) {
        let next: string | null = null;
        do {
          const url: string = `${gateway.url}/all_orders_by_range?from=${RANGE.from}&to=${RANGE.to}&limit=${PAGE}${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`;
          const r: Response = await fetch(url, { headers: { Authorization: bearer, Accept: accept } });
          expect(r.status, `${mode} ${accept}`).to.equal(200);
          const body = await r.text();
          if (accept === 'text/csv') {
            pages[mode].csv.push(body);
            next = r.headers.get('x-next-token');
          } else {
            pages[mode].json.push(body);
            const answer = JSON.parse(body) as { rows: Row[]; nextToken: string | null };
            pages[mode].rows.push(...answer.rows);
            next = answer.nextToken;
          }
        } while (next);
      }
    }
  });
  after(async () => gateway?.stop());

  for (const mode of ['masked', 'pseudonymized'] as const) {
    it(`${mode} client: no stored personal value of its range in any JSON or CSV page`, async () => {
      const stored = await storedValues(CLIENTS[mode]);
      expect(stored.length, 'the range has recipients').to.be.greaterThan(20);
      expect(pages[mode].json.length, 'several pages').to.be.greaterThan(1);
      const served = [...pages[mode].json, ...pages[mode].csv].join('\n');
      const leaked = stored.filter((v) => served.includes(v) || served.includes(JSON.stringify(v).slice(1, -1)));
      expect(leaked).to.deep.equal([]);
    });

    it(`${mode} client: every row is the reference's ${mode} form of the stored values, across pages`, async () => {
      const lake = await readLake(lakeDir);
      const scope = { from: new Date(`${RANGE.from}T00:00:00Z`), to: new Date(`${RANGE.to}T00:00:00Z`), client_id: CLIENTS[mode], all_clients: false };
      const kinds = new Map(listing.personal.map((p) => [p.column, p.kind]));
      const want = reference.all_orders_by_range!(lake, scope).map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, kinds.has(k) ? referenceValue(kinds.get(k)!, mode, v as string | number | null, secret) : v])));
      expect(pages[mode].rows).to.deep.equal(want);
    });
  }

  it('clear client: exactly the stored values', async () => {
    const lake = await readLake(lakeDir);
    const scope = { from: new Date(`${RANGE.from}T00:00:00Z`), to: new Date(`${RANGE.to}T00:00:00Z`), client_id: CLIENTS.clear, all_clients: false };
    expect(pages.clear.rows).to.deep.equal(reference.all_orders_by_range!(lake, scope));
    expect(pages.clear.rows.some((r) => typeof r.recipient_email === 'string' && r.recipient_email.includes('@') && !r.recipient_email.startsWith('XXXXX'))).to.equal(true);
  });

  it("no stored personal value of any client's range in the gateway's logs, the access log or npm run usage; the access log records each answer's mode", async () => {
    const stored = [...new Set([...(await storedValues(CLIENTS.masked)), ...(await storedValues(CLIENTS.pseudonymized)), ...(await storedValues(CLIENTS.clear))])];
    const usage = (await run(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--json'], { env: { ...process.env, LAKEGATE_ACCESS_LOG_FILE: accessLog } })).stdout;
    const log = readFileSync(accessLog, 'utf8');
    for (const [where, text] of [['gateway output', gateway.output()], ['access log', log], ['npm run usage', usage]] as const) {
      expect(stored.filter((v) => text.includes(v)), where).to.deep.equal([]);
    }
    const modes = log.trim().split('\n').map((l) => JSON.parse(l) as { query: string; clientId: number; pii: string | null }).filter((r) => r.query === 'all_orders_by_range');
    expect(new Set(modes.map((r) => `${r.clientId}:${r.pii}`))).to.deep.equal(new Set(Object.entries(CLIENTS).map(([m, c]) => `${c}:${m}`)));
  });
});
