// @ts-check
/**
 * The playground: pick a query and a range, see the rows as a table and a chart, download them
 * as CSV, page through listings. Plain script (no framework, no build): the page's
 * Content-Security-Policy allows only this gateway's own scripts.
 *
 * - The token lives in memory and in sessionStorage (gone with the tab), never in a URL or
 *   localStorage; it is only sent in the Authorization header to this same origin.
 * - Every value from the API is rendered as text (textContent), never as markup.
 * - The query list comes from the API's own openapi.json, so a new query appears here by itself,
 *   and so do the days the data covers (`info['x-lakegate-data-window']`, when the server knows them).
 * - The status line always describes what is on screen: every run sets it or clears it.
 */
/* global uPlot */
(() => {
  /** @param {string} id */
  const el = (id) => /** @type {any} */ (document.querySelector(`[data-testid="${id}"]`));
  const TOKEN_KEY = 'lakegate.token';
  /** The year of the default lake (npm run fake-data): 2024, until openapi.json says otherwise. */
  const DEFAULT_YEAR = 2024;
  const NUMERIC = new Set(['bigint', 'integer', 'double']);
  const DAY = /^\d{4}-\d{2}-\d{2}$/;
  /** The browser's language, made a tag Intl accepts by locale.js (loaded first); en-US if even that fails. */
  const numbers = (() => {
    try {
      return new Intl.NumberFormat(navigator.language);
    } catch {
      return new Intl.NumberFormat('en-US');
    }
  })();
  const count = (/** @type {number} */ n) => numbers.format(n);

  let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  /** @type {{ query: string, from: string, to: string, nextToken: string | null, page: number } | null} */
  let current = null;
  /** @type {any} */
  let plot = null;
  /** The days the lake holds, [from, to), when openapi.json names them; else null. @type {{ from: string, to: string } | null} */
  let dataWindow = null;

  // ---- token ---------------------------------------------------------------------------
  const setToken = (/** @type {string} */ value) => {
    token = value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  };
  el('token').value = token;
  el('token').addEventListener('input', () => setToken(el('token').value));

  /** RFC 6749 §2.3.1: id and secret are form-encoded, then sent as HTTP Basic. */
  const formEncode = (/** @type {string} */ s) => encodeURIComponent(s).replace(/%20/g, '+');
  const base64 = (/** @type {string} */ s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

  el('get-token').addEventListener('click', async () => {
    clearError();
    document.body.dataset.state = 'loading';
    const basic = base64(`${formEncode(el('client-id').value.trim())}:${formEncode(el('client-secret').value)}`);
    try {
      const r = await fetch('oauth/token', {
        method: 'POST',
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: 'grant_type=client_credentials',
      });
      const body = await readJson(r);
      if (!r.ok || typeof body?.access_token !== 'string') return showError(body?.error_description ?? body?.error ?? `HTTP ${r.status}`);
      setToken(body.access_token);
      el('token').value = token;
      el('client-secret').value = '';
      status(`token received, valid ${body.expires_in} s`);
    } catch {
      showError('the token endpoint could not be reached');
    } finally {
      document.body.dataset.state = 'done';
    }
  });

  // ---- range -----------------------------------------------------------------------------
  const isoDay = (/** @type {Date} */ d) => d.toISOString().slice(0, 10);
  const utcDay = (/** @type {string} */ day) => new Date(`${day}T00:00:00Z`);
  const setRange = (/** @type {string} */ from, /** @type {string} */ to) => {
    el('from').value = from;
    el('to').value = to;
  };
  /**
   * Where "last N days" ends (excluded): the end of the data when openapi.json names it (a lake
   * of 2024 has nothing in the days before today), else tomorrow, so that today is included.
   */
  function rangeEnd() {
    if (dataWindow) return utcDay(dataWindow.to);
    const to = new Date();
    to.setUTCHours(0, 0, 0, 0);
    to.setUTCDate(to.getUTCDate() + 1);
    return to;
  }
  /** The year of the data's last day, when known. */
  const dataYear = () => (dataWindow ? new Date(utcDay(dataWindow.to).getTime() - 86_400_000).getUTCFullYear() : DEFAULT_YEAR);
  for (const b of document.querySelectorAll('[data-pick]')) {
    b.addEventListener('click', () => {
      const pick = /** @type {HTMLElement} */ (b).dataset.pick;
      if (pick === 'year') return setRange(`${dataYear()}-01-01`, `${dataYear() + 1}-01-01`);
      const to = rangeEnd();
      const from = new Date(to);
      from.setUTCDate(from.getUTCDate() - Number(pick));
      setRange(isoDay(from), isoDay(to));
    });
  }
  setRange(`${DEFAULT_YEAR}-03-01`, `${DEFAULT_YEAR}-04-01`);

  /** `info['x-lakegate-data-window']`, if it is two days in order; anything else is ignored. */
  function readDataWindow(/** @type {any} */ info) {
    const w = info?.['x-lakegate-data-window'];
    const day = (/** @type {unknown} */ v) => typeof v === 'string' && DAY.test(v) && !Number.isNaN(utcDay(v).getTime());
    return w && day(w.from) && day(w.to) && w.from < w.to ? { from: String(w.from), to: String(w.to) } : null;
  }

  // ---- queries, from the API's own description ------------------------------------------
  fetch('openapi.json')
    .then((r) => r.json())
    .then((doc) => {
      dataWindow = readDataWindow(doc.info);
      const names = Object.entries(doc.paths)
        .filter(([, item]) => item.get?.tags?.includes('queries'))
        .map(([path, item]) => ({ name: path.slice(1), summary: item.get.summary ?? '' }));
      for (const { name, summary } of names) {
        const option = document.createElement('option');
        option.value = name;
        option.textContent = name;
        option.title = summary;
        el('query').append(option);
      }
      el('query').value = names.some((n) => n.name === 'count_trackcode_by_range') ? 'count_trackcode_by_range' : names[0]?.name;
      document.body.dataset.ready = 'true';
    })
    .catch(() => showError('the API description (openapi.json) could not be loaded'));

  // ---- running ---------------------------------------------------------------------------
  el('run').addEventListener('click', () => {
    const [from, to] = [el('from').value, el('to').value];
    if (!DAY.test(from) || !DAY.test(to)) return showError('pick both dates');
    current = { query: el('query').value, from, to, nextToken: null, page: 1 };
    void load();
  });
  el('next-page').addEventListener('click', () => {
    if (!current?.nextToken) return;
    current.page += 1;
    void load(current.nextToken);
  });

  /** @param {string} [nextToken] */
  async function load(nextToken) {
    if (!current) return;
    clearError();
    status(''); // whatever happens next, the last run's line no longer describes the screen
    el('run').disabled = true;
    el('next-page').disabled = true;
    const params = new URLSearchParams({ from: current.from, to: current.to });
    if (nextToken) params.set('nextToken', nextToken);
    document.body.dataset.state = 'loading';
    try {
      /** @type {Response | undefined} */
      let r;
      try {
        r = await fetch(`${current.query}?${params}`, {
          headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        });
      } catch {
        return showError('the API could not be reached');
      }
      const body = await readJson(r);
      if (r.status === 202) return showError(`the query is still running: try again in ${r.headers.get('Retry-After') ?? 'a few'} s`);
      if (!r.ok || !body?.columns) return showError(body?.error?.message ?? body?.message ?? `HTTP ${r.status}`);
      current.nextToken = body.nextToken;
      render(current.query, body);
      let chartProblem = '';
      try {
        chart(body.columns, body.rows);
      } catch (e) {
        // The rows are good and shown; only the picture failed. Say so rather than keep an old line.
        chartProblem = ` · no chart: ${e instanceof Error ? e.message : String(e)}`;
        clearChart();
      }
      status(`${rowsLine(body.rows.length, current.page, body.nextToken)} · ${body.stats.engine} · ${count(Math.round(body.stats.elapsedMs))} ms${chartProblem}`);
    } catch (e) {
      showError(`the answer could not be shown: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      el('run').disabled = false;
      el('next-page').disabled = !current?.nextToken;
      document.body.dataset.state = 'done';
    }
  }

  /**
   * How many rows are shown; none on a first page names the days the data covers, when known,
   * since a range outside them answers nothing without being wrong.
   * @param {number} n @param {number} page @param {string | null} nextToken
   */
  function rowsLine(n, page, nextToken) {
    const paging = page > 1 || nextToken ? ` · page ${page}` : '';
    if (n === 0 && page === 1 && dataWindow) return `no rows in this range; the data covers ${dataWindow.from} to ${dataWindow.to} (excluded)${paging}`;
    return `${count(n)} row${n === 1 ? '' : 's'}${paging}`;
  }

  /** @param {Response} r */
  async function readJson(r) {
    try {
      return await r.json();
    } catch {
      return null;
    }
  }

  // ---- output ------------------------------------------------------------------------------
  /** @typedef {{ name: string, type: string }} Column */
  /** @typedef {Record<string, string | number | boolean | null>} Row */

  /** The table and the CSV link (the chart is drawn apart: its failure must not hide the rows). @param {string} query @param {{ columns: Column[], rows: Row[] }} body */
  function render(query, { columns, rows }) {
    const table = el('result-table');
    const head = document.createElement('tr');
    for (const c of columns) {
      const th = document.createElement('th');
      th.textContent = c.name;
      th.title = c.type;
      head.append(th);
    }
    table.tHead.replaceChildren(head);
    table.tBodies[0].replaceChildren(
      ...rows.map((row) => {
        const tr = document.createElement('tr');
        for (const c of columns) {
          const td = document.createElement('td');
          td.textContent = text(row[c.name] ?? null);
          if (NUMERIC.has(c.type)) td.className = 'num';
          tr.append(td);
        }
        return tr;
      }),
    );
    const csv = el('csv');
    csv.href = `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(columns, rows))}`;
    csv.download = `${query}.csv`;
    csv.hidden = false;
  }

  function clearChart() {
    plot?.destroy();
    plot = null;
    el('chart').replaceChildren();
    el('chart').dataset.shape = 'none';
  }

  /** @param {string | number | boolean | null} v */
  const text = (v) => (v === null ? '' : String(v));

  /**
   * The API's CSV rules (src/lambda/api/response.ts csvField): RFC 4180, NULL empty, text starting
   * with = + - @ tab or CR prefixed with ' so a spreadsheet never runs it as a formula.
   * @param {Column[]} columns @param {Row[]} rows
   */
  function toCsv(columns, rows) {
    const field = (/** @type {string | number | boolean | null} */ v) => {
      if (v === null) return '';
      let s = String(v);
      if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    const lines = [columns.map((c) => field(c.name)).join(','), ...rows.map((r) => columns.map((c) => field(r[c.name] ?? null)).join(','))];
    return `${lines.join('\r\n')}\r\n`;
  }

  /**
   * A chart fitted to the answer's shape: one row of numbers → big figures; days and a count →
   * a time series; a label and numbers → bars of the last number; a listing → no chart.
   * @param {Column[]} columns @param {Row[]} rows
   */
  function chart(columns, rows) {
    clearChart();
    const box = el('chart');
    const numeric = columns.filter((c) => NUMERIC.has(c.type));
    const label = columns.find((c) => c.type === 'varchar');
    if (rows.length === 0) return;
    if (columns.some((c) => c.type === 'timestamp') || numeric.length === 0) return;

    if (rows.length === 1 && numeric.length === columns.length) {
      box.dataset.shape = 'figure';
      const figure = document.createElement('div');
      figure.className = 'figure';
      for (const c of columns) {
        const item = document.createElement('div');
        const value = document.createElement('output');
        value.textContent = text(rows[0]?.[c.name] ?? null);
        const name = document.createElement('span');
        name.textContent = c.name;
        item.append(value, name);
        figure.append(item);
      }
      box.append(figure);
      return;
    }
    if (!label) return;
    const measure = /** @type {Column} */ (numeric.at(-1));
    const values = rows.map((r) => Number(r[measure.name] ?? 0));
    const width = Math.max(320, box.clientWidth || 800);
    const labels = rows.map((r) => text(r[label.name] ?? null));

    if (labels.every((l) => DAY.test(l))) {
      box.dataset.shape = 'series';
      const days = labels.map((l) => Date.parse(`${l}T00:00:00Z`) / 1000);
      plot = new uPlot(
        {
          width, height: 300,
          tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
          series: [{}, { label: measure.name, stroke: '#1f6fb4', width: 2, fill: 'rgba(31,111,180,0.12)' }],
          scales: { x: { time: true } },
        },
        [days, values],
        box,
      );
      return;
    }
    box.dataset.shape = 'bars';
    const xs = labels.map((_, i) => i);
    plot = new uPlot(
      {
        width, height: 300,
        series: [
          { label: label.name, value: (/** @type {any} */ _u, /** @type {number} */ i) => labels[i] ?? '' },
          { label: measure.name, fill: '#1f6fb4', stroke: '#1f6fb4', paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } },
        ],
        scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] } },
        axes: [{ values: (/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map((i) => labels[i] ?? ''), rotate: -30, size: 70 }, {}],
      },
      [xs, values],
      box,
    );
  }

  /** Nothing stale stays on screen beside an error. */
  function clearResults() {
    clearChart();
    el('result-table').tHead.replaceChildren();
    el('result-table').tBodies[0].replaceChildren();
    el('csv').hidden = true;
    el('csv').removeAttribute('href');
    if (current) current.nextToken = null;
  }

  function clearError() {
    el('error').hidden = true;
    el('error').textContent = '';
  }
  /** @param {string} message */
  function showError(message) {
    clearResults();
    el('error').textContent = String(message);
    el('error').hidden = false;
    status('');
  }
  /** @param {string} message */
  function status(message) {
    el('status').textContent = message;
  }
})();
