/**
 * The reference page and the playground in a real browser: headless Chromium (@sparticuz/chromium,
 * shipped inside the npm package, driven by puppeteer-core) against the test gateway. Any
 * request leaving 127.0.0.1 is blocked and fails the test, as does any console error (which
 * includes Content-Security-Policy violations). What the playground shows is compared with
 * what the API answers to the same request.
 *
 * Chromium is started without --lang, so the pages meet whatever language this machine's locale
 * gives it (LANG=C.UTF-8 gives 'en-US@posix', which Intl refuses); more languages are forced per
 * page, and one browser is started in a POSIX locale on purpose.
 */
import chromium from '@sparticuz/chromium';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { catalog } from '../../src/lambda/catalog.ts';
import type { Gateway } from '../../harness/gateway.ts';
import { AnswerValidator } from '../helpers/openapi.ts';
import { ANALYST_CLIENT_ID } from '../../src/lambda/access/model.ts';
import { testLake } from '../helpers/lake.ts';
import { pagesGateway } from '../helpers/pages-gateway.ts';
import { storedPersonalValues } from '../helpers/personal.ts';

const RANGE = { from: '2024-03-01', to: '2024-04-01' };
type Answer = { columns: { name: string; type: string }[]; rows: Record<string, unknown>[]; nextToken: string | null };

const byTestId = (id: string) => `[data-testid="${id}"]`;

/** Painted (non-transparent) pixels of the chart's canvases. */
const paintedPixels = (page: Page) =>
  page.$$eval(`${byTestId('chart')} canvas`, (canvases) =>
    canvases.reduce((n, c) => {
      const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted += 1;
      return n + painted;
    }, 0),
  );

/**
 * A script run in the page before any of its own: the browser reports this language, as
 * Chromium's own getters on Navigator.prototype would. Text, not a function: tsx would add its
 * `__name` helper to a function's source, which the page does not have.
 */
const reportLanguage = (language: string) => `(() => {
  const language = ${JSON.stringify(language)};
  const languages = Object.freeze(language === '' ? [] : [language]);
  Object.defineProperty(Navigator.prototype, 'language', { configurable: true, enumerable: true, get() { return language; } });
  Object.defineProperty(Navigator.prototype, 'languages', { configurable: true, enumerable: true, get() { return languages; } });
})();`;

/** The environment of a browser whose locale is C.UTF-8: no LANGUAGE, no LC_* to override LANG. */
function posixEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'LANGUAGE' && !k.startsWith('LC_')) env[k] = v;
  return { ...env, LANG: 'C.UTF-8' };
}

const launch = async (env?: Record<string, string>) =>
  puppeteer.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: 'shell', ...(env ? { env } : {}) });

describe('pages in a browser (headless Chromium)', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let token: (client: number) => string;
  let clientSecret: string;
  let browser: Browser;

  before(async () => {
    // No --lang: the pages must cope with the language this machine's locale gives the browser.
    [{ gateway, token, clientSecret }, browser] = await Promise.all([pagesGateway(), launch()]);
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

  /**
   * A page of the gateway; `problems` collects console errors, page errors and off-host requests.
   * `language`: what the browser reports as its language to that page (else the browser's own).
   */
  async function open(path: string, { language, on = browser }: { language?: string; on?: Browser } = {}): Promise<{ page: Page; problems: string[] }> {
    const page = await on.newPage();
    const problems: string[] = [];
    if (language !== undefined) await page.evaluateOnNewDocument(reportLanguage(language));
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
    const statusLine = () => page.$eval(byTestId('status'), (e) => e.textContent);
    const errorBox = () => page.$eval(byTestId('error'), (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent }));
    const rangeShown = () => page.$eval(byTestId('from'), (f) => [(f as HTMLInputElement).value, (document.querySelector('[data-testid="to"]') as HTMLInputElement).value]);
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
          expect(await paintedPixels(page)).to.be.greaterThan(1000);
        }
        expect(await csvText()).to.equal(await (await api(path, bearer(), 'text/csv')).text());
      });
    }

    it("all_orders_by_range: the table shows the recipients exactly as the API gives them (masked for client 4), never a stored value", async () => {
      const range = { from: '2024-03-01', to: '2024-04-01' };
      await runQuery('all_orders_by_range', range);
      const json = (await (await api(`/all_orders_by_range?from=${range.from}&to=${range.to}`, bearer())).json()) as Answer;
      expect(await table()).to.deep.equal(asCells(json));
      expect(json.rows.some((r) => String(r.recipient_email).startsWith('XXXXX@'))).to.equal(true);
      const shown = (await table()).flat().join('\n');
      const stored = await storedPersonalValues((await testLake()).dir, 4, range.from, range.to);
      expect(stored.length).to.be.greaterThan(10);
      expect(stored.filter((v) => shown.includes(v))).to.deep.equal([]);
      const csv = await csvText();
      expect(stored.filter((v) => csv.includes(v))).to.deep.equal([]);
    });

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

    async function useToken(value: string) {
      await page.$eval(byTestId('token'), (e) => ((e as HTMLInputElement).value = ''));
      await page.type(byTestId('token'), value);
    }

    it("openapi.json names the lake's data window; the quick picks fill its last 7 and 30 days, which have a row per day", async () => {
      const { manifest } = await testLake();
      const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { info: Record<string, unknown> };
      expect(doc.info['x-lakegate-data-window']).to.deep.equal({ from: manifest.window.start, to: manifest.window.end });
      const daysBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
      // Every client's rows (the analysts' access), so that every day of the window has trackcodes.
      const analyst = token(ANALYST_CLIENT_ID);
      await useToken(analyst);
      try {
        await page.select(byTestId('query'), 'count_trackcode_by_range');
        for (const days of [7, 30]) {
          await page.click(`[data-pick="${days}"]`);
          const range = { from: daysBefore(manifest.window.end, days), to: manifest.window.end };
          expect(await rangeShown(), `last ${days} days`).to.deep.equal([range.from, range.to]);
          await click('run');
          const json = (await (await api(`/count_trackcode_by_range?from=${range.from}&to=${range.to}`, analyst)).json()) as Answer;
          expect(json.rows.map((r) => r.day), `last ${days} days`).to.deep.equal([...Array(days).keys()].map((i) => daysBefore(range.to, days - i)));
          expect(await table()).to.deep.equal(asCells(json));
          expect(await statusLine()).to.match(new RegExp(`^${days} rows · `));
        }
      } finally {
        await useToken(bearer());
      }
    });

    it('a range with no rows says so on the status line and names the data window', async () => {
      const { manifest } = await testLake();
      await runQuery('count_trackcode_by_range', { from: '2031-03-01', to: '2031-03-08' });
      expect(await errorBox()).to.deep.equal({ hidden: true, text: '' });
      expect(await table()).to.deep.equal([]);
      expect(await statusLine()).to.match(
        new RegExp(`^no rows in this range; the data covers ${manifest.window.start} to ${manifest.window.end} \\(excluded\\) · `),
      );
    });

    it("the status line describes only the latest run: cleared by a refused call, rewritten (with the reason) when the chart cannot be drawn", async () => {
      const rowsOf = async (range: { from: string; to: string }) =>
        ((await (await api(`/count_trackcode_by_range?from=${range.from}&to=${range.to}`, bearer())).json()) as Answer).rows.length;
      const YEAR = { from: '2024-01-01', to: '2025-01-01' };
      const [inRange, inYear] = [await rowsOf(RANGE), await rowsOf(YEAR)];
      expect(inRange).to.be.greaterThan(0);
      await runQuery('count_trackcode_by_range');
      expect(await statusLine()).to.match(new RegExp(`^${inRange} rows? · [^·]+ · \\d+ ms$`));

      // Refused (from after to: 400): the error is shown and the previous run's line is gone.
      await runQuery('count_trackcode_by_range', { from: RANGE.to, to: RANGE.from });
      expect((await errorBox()).hidden).to.equal(false);
      expect(await statusLine()).to.equal('');
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 400/.test(p)));

      // The chart fails as it did when uPlot could not load: the rows are shown and the line is this run's.
      await page.evaluate(() => {
        const w = window as unknown as { uPlot: unknown; realUPlot: unknown };
        w.realUPlot = w.uPlot;
        w.uPlot = undefined;
      });
      try {
        await runQuery('count_trackcode_by_range', YEAR);
        expect(await errorBox()).to.deep.equal({ hidden: true, text: '' });
        expect(await table()).to.have.length(inYear);
        expect(await shape()).to.equal('none');
        expect(await statusLine()).to.match(new RegExp(`^${inYear} rows? · [^·]+ · \\d+ ms · no chart: uPlot is not a constructor$`));
      } finally {
        await page.evaluate(() => {
          const w = window as unknown as { uPlot: unknown; realUPlot: unknown };
          w.uPlot = w.realUPlot;
        });
      }

      // And the next good run replaces that line with its own.
      await runQuery('count_trackcode_by_range');
      expect(await statusLine()).to.match(new RegExp(`^${inRange} rows? · [^·]+ · \\d+ ms$`));
      expect(await shape()).to.equal('series');
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

    it("the credential routes' answers match the OpenAPI document (described here)", async () => {
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

  describe('in any locale (the language the browser reports)', () => {
    let posixBrowser: Browser | undefined;
    after(async () => posixBrowser?.close());

    /**
     * The playground as a user on that browser uses it: count_trackcode_by_range over RANGE must
     * show the API's rows, a drawn series chart, and a status line, with no console or page error.
     * `want`: the language the pages (and uPlot) must see; any Intl accepts if undefined.
     */
    async function playgroundWorks(want: string | undefined, options: { language?: string; on?: Browser }) {
      const { page, problems } = await open('/playground', options);
      try {
        await page.waitForSelector('body[data-ready="true"]');
        const seen = await page.evaluate(() => {
          let accepted = true;
          try {
            new Intl.NumberFormat(navigator.language);
          } catch {
            accepted = false;
          }
          return { language: navigator.language, languages: [...navigator.languages], accepted };
        });
        expect(seen.accepted, `Intl accepts ${seen.language}`).to.equal(true);
        if (want !== undefined) expect(seen.language).to.equal(want);
        expect(seen.languages[0]).to.equal(seen.language);
        await page.type(byTestId('token'), token(4));
        await page.select(byTestId('query'), 'count_trackcode_by_range');
        await page.$eval(byTestId('from'), (e, v) => ((e as HTMLInputElement).value = v), RANGE.from);
        await page.$eval(byTestId('to'), (e, v) => ((e as HTMLInputElement).value = v), RANGE.to);
        await page.click(byTestId('run'));
        await page.waitForSelector('body[data-state="done"]');
        const json = (await (await api(`/count_trackcode_by_range?from=${RANGE.from}&to=${RANGE.to}`, token(4))).json()) as Answer;
        const cells = await page.$$eval(`${byTestId('result-table')} tbody tr`, (trs) => trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent)));
        expect(cells).to.have.length(json.rows.length).and.to.have.length.greaterThan(0);
        expect(await page.$eval(byTestId('chart'), (e) => (e as HTMLElement).dataset.shape)).to.equal('series');
        expect(await page.$$(`${byTestId('chart')} canvas`)).to.have.length.greaterThan(0);
        expect(await paintedPixels(page)).to.be.greaterThan(1000);
        const rows = new Intl.NumberFormat(seen.language).format(json.rows.length);
        expect(await page.$eval(byTestId('status'), (e) => e.textContent)).to.match(new RegExp(`^${rows} rows · `));
        expect(problems).to.deep.equal([]);
      } finally {
        await page.close();
      }
    }

    it(`this machine's locale (LANG=${process.env.LANG ?? ''}, no --lang): the playground sees a language Intl accepts (the browser's own if valid), draws the table and chart, no console error`, async () => {
      // What the browser reports where no page script has touched it.
      const blank = await browser.newPage();
      const reported = await blank.evaluate(() => navigator.language);
      await blank.close();
      let valid: string | undefined;
      try {
        valid = new Intl.NumberFormat(reported).resolvedOptions() && Intl.getCanonicalLocales(reported)[0];
      } catch {
        valid = undefined; // e.g. 'en-US@posix' under LANG=C.UTF-8: the page must repair it
      }
      await playgroundWorks(valid, {});
    });

    const languages: [string, string][] = [
      ['en-US@posix', 'en-US'],
      ['C', 'en-US'],
      ['', 'en-US'],
      ['en_GB.UTF-8', 'en-GB'],
      ['es-PE', 'es-PE'],
    ];
    for (const [reported, want] of languages) {
      it(`browser language ${JSON.stringify(reported)}: the page sees ${JSON.stringify(want)}, draws count_trackcode_by_range's table and chart, no console error`, async () => {
        await playgroundWorks(want, { language: reported });
      });
    }

    it('a browser started with LANG=C.UTF-8 (no LANGUAGE, no LC_*): the page sees en-US, draws the table and chart, no console error', async () => {
      posixBrowser ??= await launch(posixEnvironment());
      await playgroundWorks('en-US', { on: posixBrowser });
    });

    it('/docs with the browser language "C": every query is listed, no console error', async () => {
      const { page, problems } = await open('/docs', { language: 'C' });
      try {
        await page.waitForSelector('.opblock-summary-path');
        const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
        for (const q of catalog().keys()) expect(paths, q).to.include(`/${q}`);
        expect(await page.evaluate(() => navigator.language)).to.equal('en-US');
        expect(problems).to.deep.equal([]);
      } finally {
        await page.close();
      }
    });
  });
});
