/**
 * The first-deploy smoke check an operator runs after `serverless deploy` and `npm run seed`:
 * one token, one request per named query plus whoami, one crawler run. Each step is reported
 * as passed or failed with the reason; nothing is retried or hidden. The HTTP part is plain
 * `fetch` against the stage URL, so the same check runs against a local gateway in the tests.
 */
import type { GlueClient } from '@aws-sdk/client-glue';
import type { NamedQuery } from '../../lambda/catalog.ts';
import { runCrawlers } from './seed.ts';

export interface SmokeStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

export interface SmokeApiOptions {
  /** The API's base URL (the stack's ServiceEndpoint, or a local gateway). */
  readonly baseUrl: string;
  readonly token: string;
  readonly queries: readonly NamedQuery[];
  /** The range asked of every query (`YYYY-MM-DD`). */
  readonly from: string;
  readonly to: string;
  readonly fetch?: typeof fetch;
}

async function timed(step: string, work: () => Promise<string>): Promise<SmokeStep> {
  const started = performance.now();
  try {
    const detail = await work();
    return { step, ok: true, detail, ms: Math.round(performance.now() - started) };
  } catch (e) {
    return { step, ok: false, detail: (e as Error).message, ms: Math.round(performance.now() - started) };
  }
}

async function getJson(f: typeof fetch, url: string, token: string): Promise<{ status: number; body: any }> {
  const r = await f(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${r.status}, not JSON: ${text.slice(0, 120)}`);
  }
  return { status: r.status, body };
}

/** One request per named query (and whoami): each must answer 200 with that query's columns. */
export async function smokeApi(o: SmokeApiOptions): Promise<SmokeStep[]> {
  const f = o.fetch ?? fetch;
  const base = o.baseUrl.replace(/\/+$/, '');
  const steps: SmokeStep[] = [
    await timed('GET /whoami', async () => {
      const { status, body } = await getJson(f, `${base}/whoami`, o.token);
      if (status !== 200) throw new Error(`HTTP ${status}: ${JSON.stringify(body?.error ?? body)}`);
      return `client ${body.clientId}, row scope ${body.rowScope}`;
    }),
  ];
  for (const q of o.queries) {
    steps.push(await timed(`GET /${q.name}`, async () => {
      const { status, body } = await getJson(f, `${base}/${q.name}?from=${o.from}&to=${o.to}`, o.token);
      if (status !== 200) throw new Error(`HTTP ${status}: ${JSON.stringify(body?.error ?? body)}`);
      const columns = (body.columns ?? []).map((c: { name: string }) => c.name).join(',');
      const expected = q.columns.map((c) => c.name).join(',');
      if (body.query !== q.name || columns !== expected || !Array.isArray(body.rows)) throw new Error(`unexpected answer shape (columns ${columns})`);
      return `${body.rows.length} rows, engine ${body.stats?.engine}`;
    }));
  }
  return steps;
}

/** One token from the stage's token endpoint (client credentials, HTTP Basic; RFC 6749 §4.4). */
export async function smokeToken(baseUrl: string, clientId: string, secret: string, f: typeof fetch = fetch): Promise<{ step: SmokeStep; token?: string }> {
  let token: string | undefined;
  const step = await timed('POST /oauth/token', async () => {
    const r = await f(`${baseUrl.replace(/\/+$/, '')}/oauth/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
    if (r.status !== 200 || typeof body.access_token !== 'string') throw new Error(`HTTP ${r.status}: ${String(body.error ?? '')} ${String(body.error_description ?? '')}`.trim());
    token = body.access_token;
    return `expires in ${String(body.expires_in)} s`;
  });
  return { step, ...(token ? { token } : {}) };
}

/** One crawler run to the end (a re-crawl visits only new folders, so it is cheap). */
export async function smokeCrawler(glue: GlueClient, crawler: string, opts: Parameters<typeof runCrawlers>[2] = {}): Promise<SmokeStep> {
  return timed(`crawler ${crawler}`, async () => (await runCrawlers(glue, [crawler], opts)).map((r) => r.status).join(', '));
}

/** The report's lines, ending with `N passed, N failed`. */
export function smokeReport(steps: readonly SmokeStep[]): string[] {
  const lines = steps.map((s) => `${s.ok ? 'ok  ' : 'FAIL'}  ${s.step.padEnd(62)} ${String(s.ms).padStart(6)} ms  ${s.detail}`);
  const failed = steps.filter((s) => !s.ok).length;
  return [...lines, `${steps.length - failed} passed, ${failed} failed`];
}
