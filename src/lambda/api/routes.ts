/**
 * The API's routes as a client meets them: which paths exist, which methods each answers, and
 * what a mistyped path probably meant. Pure; the public function answers every path no route
 * takes (`ANY /{proxy+}`) from it, locally and on AWS.
 */
import { ENDPOINT_METHODS } from '../identity/policy.ts';

/** Paths (without the leading `/`) that answer GET and HEAD, besides the named queries. */
export const PAGE_PATHS = ['whoami', 'openapi.json', 'docs', 'playground', '.well-known/jwks.json', '.well-known/oauth-authorization-server'] as const;
/** Paths under which a page serves its assets. */
const ASSET_PARENTS = ['docs', 'playground'] as const;
/** The one path that answers POST. */
export const TOKEN_PATH = 'oauth/token';

export type RouteAnswer =
  | { readonly status: 405; readonly allow: string; readonly path: string }
  | { readonly status: 404; readonly path: string; readonly meant?: string };

/** The methods a path answers (HEAD with every GET), or undefined when no route takes it. */
export function methodsOf(path: string, queryNames: readonly string[]): readonly string[] | undefined {
  const p = path.replace(/^\//, '');
  if (p === TOKEN_PATH) return ['POST'];
  if (queryNames.includes(p) || (PAGE_PATHS as readonly string[]).includes(p)) return ENDPOINT_METHODS;
  const parent = ASSET_PARENTS.find((a) => p.startsWith(`${a}/`) && !p.slice(a.length + 1).includes('/'));
  return parent ? ENDPOINT_METHODS : undefined;
}

/** What to answer a request no route took: 405 with Allow on a known path, else 404 (with the path probably meant). */
export function unroutedAnswer(path: string, method: string, queryNames: readonly string[]): RouteAnswer {
  const allowed = methodsOf(path, queryNames);
  if (allowed && !allowed.includes(method.toUpperCase())) return { status: 405, allow: allowed.join(', '), path };
  const meant = closest(path.replace(/^\/+/, ''), [...queryNames, ...PAGE_PATHS, TOKEN_PATH]);
  return { status: 404, path, ...(meant ? { meant: `/${meant}` } : {}) };
}

/**
 * The known path a mistyped one most likely meant: the same but for case, or within a small edit
 * distance (2, or 3 for names over 20 characters), when exactly one is nearest.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  if (typed === '' || typed.length > 200) return undefined;
  const lower = typed.toLowerCase();
  const sameButCase = known.filter((k) => k.toLowerCase() === lower);
  if (sameButCase.length === 1) return sameButCase[0];
  let best: string[] = [];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase(), bestDistance + 1); // only a distance up to the best so far matters
    if (d < bestDistance) [best, bestDistance] = [[k], d];
    else if (d === bestDistance) best.push(k);
  }
  const allowed = typed.length > 20 ? 3 : 2;
  return bestDistance <= allowed && best.length === 1 ? best[0] : undefined;
}

/** Levenshtein distance, giving up (returning `limit`) once every path costs at least `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, row[j]!);
    }
    if (rowMin >= limit) return limit;
    previous = row;
  }
  return previous[b.length]!;
}
