/**
 * The reference page and the playground in a real browser: headless Chromium (@sparticuz/chromium,
 * shipped inside the npm package, driven by puppeteer-core) against the test gateway. Any
 * request leaving 127.0.0.1 is blocked and fails the test, as does any console error (which
 * includes Content-Security-Policy violations). What the playground shows is compared with
 * what the API answers to the same request.
 */
import chromium from '@sparticuz/chromium';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { catalog } from '../src/catalog.ts';
import type { Gateway } from '../scripts/gateway.ts';
import { AnswerValidator } from './helpers/openapi.ts';
import { pagesGateway } from './helpers/pages-gateway.ts';

const RANGE = { from: '2024-03-01', to: '2024-04-01' };
type Answer = { columns: { name: string; type: string }[]; rows: Record<string, unknown>[]; nextToken: string | null };

describe('pages in a browser (headless Chromium)', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let token: (client: number) => string;
  let clientSecret: string;
  let browser: Browser;

  before(async () => {
    // --lang: uPlot formats numbers with the browser's locale, and a bare C/POSIX environment gives Chromium an invalid one.
    [{ gateway, token, clientSecret }, browser] = await Promise.all([
      pagesGateway(),
      chromium.executablePath().then((executablePath) => puppeteer.launch({ executablePath, args: [...chromium.args, '--lang=en-US'], headless: 'shell' })),
    ]);
  });
  after(async () => browser?.close());

  /** The API's own answer to a request, for comparison with what a page shows. */
  const api = async (path: string, bearer: string, accept = 'application/json') =>
    fetch(`${gateway.url}${path}`, { headers: { Authorization: `Bearer ${bearer}`, Accept: accept } });

  /** POST /oauth/token as a client does it (HTTP Basic, RFC 6749 §2.3.1). */
  const postToken = (id: string, secret: string) =>
    fetch(`${gateway.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });

  /** A page of the gateway; `problems` collects console errors, page errors and off-host requests. */
  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol === 'data:' || url.hostname === '127.0.0.1') return void request.continue();
      problems.push(`request left 127.0.0.1: ${request.url()}`);
      void request.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    await page.goto(`${gateway.url}${path}`, { waitUntil: 'networkidle0' });
    return { page, problems };
  }

  it('/docs shows every query, with nothing loaded from elsewhere and no console error', async () => {
    const { page, problems } = await open('/docs');
    await page.waitForSelector('.opblock-summary-path');
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
    for (const q of catalog().keys()) expect(paths, q).to.include(`/${q}`);
    expect(paths).to.include('/whoami');
    const text = await page.$eval('#swagger-ui', (e) => e.textContent ?? '');
    for (const q of catalog().values()) expect(text).to.include(q.description);
    // Swagger UI shows what it cannot render from the document (e.g. an unsupported jsonSchemaDialect) in an errors box.
    expect(await page.$$eval('.errors-wrapper', (els) => els.map((e) => e.textContent))).to.deep.equal([]);
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  describe('/playground', () => {
    let page: Page;
    let problems: string[];
    const bearer = () => token(4);

    before(async () => {
      ({ page, problems } = await open('/playground'));
      await page.waitForSelector('body[data-ready="true"]');
      await page.type('[data-testid="token"]', bearer());
    });
    after(async () => {
      expect(problems, 'console errors or off-host requests during the playground tests').to.deep.equal([]);
      await page?.close();
    });

    const byTestId = (id: string) => `[data-testid="${id}"]`;
    async function runQuery(query: string, range = RANGE) {
      await page.select(byTestId('query'), query);
      await page.$eval(byTestId('from'), (e, v) => ((e as HTMLInputElement).value = v), range.from);
      await page.$eval(byTestId('to'), (e, v) => ((e as HTMLInputElement).value = v), range.to);
      await click('run');
    }
    async function click(id: string) {
      await page.click(byTestId(id));
      await page.waitForSelector('body[data-state="done"]');
    }
    const table = () =>
      page.$$eval(`${byTestId('result-table')} tbody tr`, (trs) => trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent)));
    /** The API's rows as the table must show them: one cell per column, null as empty. */
    const asCells = (a: Answer) => a.rows.map((r) => a.columns.map((c) => (r[c.name] === null ? '' : String(r[c.name]))));
    const shape = () => page.$eval(byTestId('chart'), (e) => (e as HTMLElement).dataset.shape);
    /** Painted (non-transparent) pixels of the chart's canvases. */
    const paintedPixels = () =>
      page.$$eval(`${byTestId('chart')} canvas`, (canvases) =>
        canvases.reduce((n, c) => {
          const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted += 1;
          return n + painted;
        }, 0),
      );
    const csvText = async () => {
      const href = await page.$eval(byTestId('csv'), (a) => (a as HTMLAnchorElement).href);
      expect(href.startsWith('data:text/csv;charset=utf-8,')).to.equal(true);
      return decodeURIComponent(href.slice('data:text/csv;charset=utf-8,'.length));
    };

    const shapes: [string, string][] = [
      ['count_trackcode_by_range', 'series'],
      ['most_required_service_by_range', 'bars'],
      ['get_money_from_routes_by_range', 'bars'],
      ['count_orders_by_range', 'figure'],
    ];
    for (const [query, want] of shapes) {
      it(`${query}: the table equals the API's JSON, a ${want} chart is drawn, the CSV equals the API's CSV`, async () => {
        await runQuery(query);
        expect(await page.$eval(byTestId('error'), (e) => (e as HTMLElement).hidden)).to.equal(true);
        const path = `/${query}?from=${RANGE.from}&to=${RANGE.to}`;
        const json = (await (await api(path, bearer())).json()) as Answer;
        expect(json.rows.length).to.be.greaterThan(0);
        expect(await table()).to.deep.equal(asCells(json));
        expect(await shape()).to.equal(want);
        if (want === 'figure') {
          expect(await page.$eval(`${byTestId('chart')} output`, (e) => e.textContent)).to.equal(String(json.rows[0]![json.columns[0]!.name]));
        } else {
          expect(await paintedPixels()).to.be.greaterThan(1000);
        }
        expect(await csvText()).to.equal(await (await api(path, bearer(), 'text/csv')).text());
      });
    }

    it('all_orders_by_range over the data\'s year (quick pick): pages through the API\'s pages, each table equal to that page', async () => {
      const range = { from: '2024-01-01', to: '2025-01-01' };
      await page.select(byTestId('query'), 'all_orders_by_range');
      await page.click('[data-pick="year"]');
      expect(await page.$eval(byTestId('from'), (e) => (e as HTMLInputElement).value)).to.equal(range.from);
      expect(await page.$eval(byTestId('to'), (e) => (e as HTMLInputElement).value)).to.equal(range.to);
      await click('run');
      const first = (await (await api(`/all_orders_by_range?from=${range.from}&to=${range.to}`, bearer())).json()) as Answer;
      expect(first.nextToken).to.be.a('string');
      expect(await table()).to.deep.equal(asCells(first));
      expect(await shape()).to.equal('none');
      expect(await page.$eval(byTestId('next-page'), (b) => (b as HTMLButtonElement).disabled)).to.equal(false);
      await click('next-page');
      const second = (await (await api(`/all_orders_by_range?from=${range.from}&to=${range.to}&nextToken=${encodeURIComponent(first.nextToken!)}`, bearer())).json()) as Answer;
      expect(second.rows.length).to.be.greaterThan(0);
      expect(await table()).to.deep.equal(asCells(second));
      expect(await csvText()).to.equal(
        await (await api(`/all_orders_by_range?from=${range.from}&to=${range.to}&nextToken=${encodeURIComponent(first.nextToken!)}`, bearer(), 'text/csv')).text(),
      );
    });

    it("a bad token shows the API's error message", async () => {
      const bad = `${bearer().slice(0, -6)}AAAAAA`;
      await page.$eval(byTestId('token'), (e) => ((e as HTMLInputElement).value = ''));
      await page.type(byTestId('token'), bad);
      await runQuery('count_orders_by_range');
      const refused = await api(`/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`, bad);
      expect(refused.status).to.equal(401);
      const { error } = (await refused.json()) as { error: { message: string } };
      expect(await page.$eval(byTestId('error'), (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent }))).to.deep.equal({ hidden: false, text: error.message });
      // The 401 the page received is an expected answer, not a page fault: Chromium logs failed loads as console errors.
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 401/.test(p)));
    });

    it('client id and secret get a token from /oauth/token, which then runs queries; a wrong secret shows the error', async () => {
      await page.$eval(byTestId('token'), (e) => ((e as HTMLInputElement).value = ''));
      await page.$eval('details', (d) => ((d as HTMLDetailsElement).open = true));
      const wrong = `${clientSecret.slice(0, -1)}${clientSecret.endsWith('A') ? 'B' : 'A'}`;
      const refused = await postToken('4', wrong);
      expect(refused.status).to.equal(401);
      await page.type(byTestId('client-id'), '4');
      await page.type(byTestId('client-secret'), wrong);
      await click('get-token');
      const { error_description } = (await refused.json()) as { error_description: string };
      expect(await page.$eval(byTestId('error'), (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent }))).to.deep.equal({ hidden: false, text: error_description });
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 401/.test(p)));

      await page.$eval(byTestId('client-secret'), (e) => ((e as HTMLInputElement).value = ''));
      await page.type(byTestId('client-secret'), clientSecret);
      await click('get-token');
      const issued = await page.$eval(byTestId('token'), (e) => (e as HTMLInputElement).value);
      expect(issued).to.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(await page.$eval(byTestId('client-secret'), (e) => (e as HTMLInputElement).value)).to.equal('');
      await runQuery('count_orders_by_range');
      const json = (await (await api(`/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`, issued)).json()) as Answer;
      expect(await table()).to.deep.equal(asCells(json));
    });

    it("the credential routes' answers match the OpenAPI document (issue 9's endpoints, described here)", async () => {
      const validator = new AnswerValidator();
      const ok = await postToken('4', clientSecret);
      expect(ok.status).to.equal(200);
      await validator.check(ok, 'POST');
      await validator.check(await postToken('4', 'lgs_wrong'), 'POST');
      const jwks = await fetch(`${gateway.url}/.well-known/jwks.json`);
      expect(jwks.status).to.equal(200);
      await validator.check(jwks);
    });

    it('keeps the token out of the URL and localStorage (sessionStorage only)', async () => {
      expect(page.url()).to.equal(`${gateway.url}/playground`);
      const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.getItem('lakegate.token') }));
      expect(storage.local).to.equal(0);
      expect(storage.session).to.be.a('string').and.match(/^eyJ/);
    });
  });
});
