/** Authorizer decisions in-process: the first one (keys + access table loaded), then warm ones. */
import { createAuthorizer } from '../src/lambda/identity/authorizer.ts';
import { localToken } from '../harness/tokens.ts';
import { median, percentile } from '../src/shared/stats.ts';


export async function measureAuthorizer(keysDir: string, decisions: number) {
  const header = `Bearer ${localToken(keysDir, 4)}`;
  const arn = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/count_orders_by_range';
  const t0 = performance.now();
  const authorizer = await createAuthorizer();
  const first = await authorizer.decide(header, arn);
  const firstMs = performance.now() - t0;
  if (first.effect !== 'Allow') throw new Error('bench token was not allowed');
  const ms: number[] = [];
  for (let i = 0; i < decisions; i++) {
    const t = performance.now();
    await authorizer.decide(header, arn);
    ms.push(performance.now() - t);
  }
  return { firstMs, median: median(ms), p99: percentile(ms, 99) };
}
