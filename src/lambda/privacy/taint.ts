/**
 * Which output columns of a query may carry personal data: a conservative reading of its SQL
 * for the catalog, which refuses a query that outputs one without declaring it (`@pii`).
 *
 * Taint flows by name. Every select item (of every SELECT: CTEs and subqueries too) that mentions
 * a tainted name — a personal column of the lake, or an alias already tainted — taints the name
 * it defines; the query's own outputs are its top-level SELECT's items, by position, so no alias
 * can hide one. `*` in a query that mentions personal data is refused outright (its columns
 * cannot be read off the text). It over-reports, never under-reports: an aggregate of a personal
 * column counts as personal.
 */

type Token = { readonly kind: 'word' | 'punct' | 'literal'; readonly text: string };

/** Words, punctuation and literals of `sql`; comments dropped, quoted identifiers as words. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) i += 1;
    else if (sql.startsWith('--', i)) i = sql.indexOf('\n', i) === -1 ? sql.length : sql.indexOf('\n', i);
    else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      for (; j < sql.length; j += 1) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 1;
          else break;
        }
      }
      const body = sql.slice(i + 1, j).replaceAll(ch + ch, ch);
      tokens.push(ch === '"' ? { kind: 'word', text: body.toLowerCase() } : { kind: 'literal', text: body });
      i = j + 1;
    } else {
      const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|:[a-z_][a-z0-9_]*|\|\||<=|>=|<>|!=|.)/.exec(sql.slice(i))!;
      const text = m[0];
      tokens.push({ kind: /^[A-Za-z_]/.test(text) ? 'word' : /^[\d:]/.test(text) ? 'literal' : 'punct', text: /^[A-Za-z_]/.test(text) ? text.toLowerCase() : text });
      i += text.length;
    }
  }
  return tokens;
}

interface SelectList {
  readonly depth: number;
  readonly items: Token[][];
}

/** Ends a select list at its own depth. */
const LIST_END = new Set(['from', 'where', 'group', 'having', 'order', 'limit', 'union', 'except', 'intersect', 'window', 'offset', 'fetch']);

/** Every SELECT's list of items, with the parenthesis depth it is written at. */
function selectLists(tokens: readonly Token[]): SelectList[] {
  const depthAt: number[] = [];
  let open = 0;
  for (const t of tokens) {
    if (t.text === ')') open -= 1;
    depthAt.push(open);
    if (t.text === '(') open += 1;
  }
  const lists: SelectList[] = [];
  tokens.forEach((t, at) => {
    if (t.kind !== 'word' || t.text !== 'select') return;
    const depth = depthAt[at]!;
    const items: Token[][] = [[]];
    for (let j = at + 1; j < tokens.length; j += 1) {
      const u = tokens[j]!;
      if (depthAt[j]! < depth) break; // the parenthesis around this SELECT closes
      if (depthAt[j] === depth && u.kind === 'word' && LIST_END.has(u.text)) break;
      if (depthAt[j] === depth && u.text === ',') items.push([]);
      else items.at(-1)!.push(u);
    }
    lists.push({ depth, items });
  });
  return lists;
}

/** Keywords that may end a select item without being its alias. */
const NOT_AN_ALIAS = new Set(['end', 'null', 'true', 'false', 'distinct', 'all']);

/** The name a select item defines: `… AS name`, `… name` (implicit alias) or `t.name`/`name`. */
function definedName(item: readonly Token[]): string | undefined {
  const last = item.at(-1);
  if (!last || last.kind !== 'word' || NOT_AN_ALIAS.has(last.text)) return undefined;
  const before = item.at(-2);
  if (before === undefined || before.text === '.' || (before.kind === 'word' && before.text === 'as')) return last.text;
  if (before.kind === 'word' || before.text === ')' || before.kind === 'literal') return last.text;
  return undefined;
}

export class PersonalDataReadError extends Error {
  override name = 'PersonalDataReadError';
}

/**
 * The positions (0-based) of the top-level SELECT's items that may carry personal data: items
 * derived from the `personal` column names. Throws on a `*` item in a query that mentions one of
 * them or reads one of the `personalTables`.
 */
export function personalOutputPositions(sql: string, personal: ReadonlySet<string>, personalTables: ReadonlySet<string>): Set<number> {
  const tokens = tokenize(sql);
  const mentions = tokens.some((t) => t.kind === 'word' && (personal.has(t.text) || personalTables.has(t.text)));
  if (!mentions) return new Set();
  const lists = selectLists(tokens);
  const starred = (item: readonly Token[]) => item.some((t, i) => t.text === '*' && (i === 0 || item[i - 1]!.text === '.') && (i === item.length - 1));
  if (lists.some((l) => l.items.some(starred))) {
    throw new PersonalDataReadError('a query that reads personal columns names every column it selects (no *)');
  }
  const tainted = new Set(personal);
  const mentionsTaint = (item: readonly Token[]) => item.some((t) => t.kind === 'word' && tainted.has(t.text));
  for (let grew = true; grew; ) {
    grew = false;
    for (const list of lists) {
      for (const item of list.items) {
        const name = definedName(item);
        if (name !== undefined && !tainted.has(name) && mentionsTaint(item.slice(0, -1))) {
          tainted.add(name);
          grew = true;
        }
      }
    }
  }
  const out = new Set<number>();
  for (const list of lists.filter((l) => l.depth === 0)) list.items.forEach((item, i) => mentionsTaint(item) && out.add(i));
  return out;
}
