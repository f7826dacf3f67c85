/**
 * A strict reading of a token segment's JSON: RFC 8259's grammar exactly, and no object with
 * the same member name twice, at any depth.
 *
 * JSON.parse keeps the last of two equal names, so `{"sub":"3",…,"sub":"4"}` reads as client 4
 * here while another parser (a proxy, a log pipeline, an audit tool) may read client 3. RFC 7515
 * §4 and RFC 7519 §4 let a JWS/JWT consumer refuse such a token; we do. JSON.parse cannot
 * tell, so this scanner walks the text once (linear, no backtracking) and tracks the names of
 * each open object. Names are compared as JSON.parse sees them (`"s\u0075b"` is `"sub"`).
 *
 * Anything it does not read as one RFC 8259 JSON text — a BOM, a trailing comma, a leading
 * zero, a raw control character in a string — or that nests deeper than MAX_DEPTH is refused:
 * token segments are small and plain, so failing closed costs genuine tokens nothing.
 */

/** Deeper than any genuine JOSE header or claims set (ours nest 1 level, providers' 2–3). */
export const MAX_DEPTH = 32;

export class StrictJsonError extends Error {
  override name = 'StrictJsonError';
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;

/** Parse `text` as JSON, refusing duplicate member names and anything not strictly JSON. */
export function parseStrictJson(text: string): unknown {
  checkStrictJson(text);
  return JSON.parse(text);
}

/** Throws StrictJsonError unless `text` is one strict JSON value without duplicate member names. */
export function checkStrictJson(text: string): void {
  let i = 0;
  const fail = (what: string): never => {
    throw new StrictJsonError(`${what} at offset ${i}`);
  };
  /** Length of `re`'s match at `i` (0 when none). */
  const sticky = (re: RegExp): number => {
    re.lastIndex = i;
    return re.exec(text)?.[0].length ?? 0;
  };
  const skipWs = () => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i += 1;
  };

  /** A string starting at `i` (on its quote); returns its raw text including the quotes. */
  const string = (): string => {
    const start = i;
    i += 1;
    let escaped = false;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        escaped = true;
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape');
      } else i += 1;
    }
    i += 1;
    const raw = text.slice(start, i);
    // Only an escaped name needs decoding to compare as JSON.parse would.
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };

  // An explicit stack instead of recursion: the depth bound is ours, not the engine's.
  // Each frame: the object's member names (null for an array) and whether a value was read.
  const stack: { names: Set<string> | null; count: number }[] = [];
  const value = (): void => {
    skipWs();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) fail('nested too deeply');
      stack.push({ names: c === '{' ? new Set() : null, count: 0 });
      i += 1;
      return;
    }
    if (c === '"') {
      string();
      return;
    }
    const token = sticky(c === 't' || c === 'f' || c === 'n' ? LITERAL : NUMBER);
    if (token === 0) fail('not a JSON value');
    i += token;
  };

  value();
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    skipWs();
    const close = top.names ? '}' : ']';
    if (text[i] === close) {
      stack.pop();
      i += 1;
      continue;
    }
    if (top.count > 0) {
      if (text[i] !== ',') fail(`expected , or ${close}`);
      i += 1;
      skipWs();
    }
    top.count += 1;
    if (top.names) {
      if (text[i] !== '"') fail('expected a member name');
      const name = string();
      if (top.names.has(name)) fail(`duplicate member name ${JSON.stringify(name.slice(0, 64))}`);
      top.names.add(name);
      skipWs();
      if (text[i] !== ':') fail('expected :');
      i += 1;
    }
    value();
  }
  skipWs();
  if (i !== text.length) fail('text after the JSON value');
}
