/**
 * docs/configuration.md documents exactly the variables the code reads: its table of
 * src/lambda/config.ts lists every `LAKEGATE_*` name that file reads and no other, each with a
 * default and a meaning; every other `LAKEGATE_*` name the repository's code reads (the local
 * gateway's ports, the smoke command's credentials…) is in its "read elsewhere" table.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = process.cwd();
const DOC = 'docs/configuration.md';
const CONFIG = 'src/lambda/config.ts';
/** Where code that reads the environment lives (tests excluded: they set variables, they do not define them). */
const CODE = ['src', 'scripts', 'harness', 'serverless', 'fake-data', 'bench', 'functions', 'authorizers', 'serverless.yml', '.ci'];
const NAME = /LAKEGATE_[A-Z0-9_]*[A-Z0-9]/g;

function files(entry: string): string[] {
  const at = path.join(ROOT, entry);
  let s;
  try {
    s = statSync(at);
  } catch {
    return [];
  }
  if (s.isFile()) return [entry];
  return readdirSync(at).flatMap((n) => files(path.join(entry, n)));
}

const namesIn = (text: string) => new Set(text.match(NAME) ?? []);

/** The table rows `| \`NAME\` | default | meaning |` of the section headed `heading`. */
function table(doc: string, heading: string): Map<string, { fallback: string; meaning: string }> {
  const at = doc.indexOf(`\n## ${heading}\n`);
  expect(at, `${DOC} has a section "## ${heading}"`).to.be.greaterThan(-1);
  const body = doc.slice(at + heading.length + 5).split(/\n## /)[0]!;
  const rows = new Map<string, { fallback: string; meaning: string }>();
  for (const line of body.split('\n')) {
    const m = /^\|\s*`(LAKEGATE_[A-Z0-9_]+)`\s*\|([^|]*)\|(.*)\|\s*$/.exec(line);
    if (m) rows.set(m[1]!, { fallback: m[2]!.trim(), meaning: m[3]!.trim() });
  }
  return rows;
}

describe('repository: docs/configuration.md matches the variables the code reads', () => {
  const doc = readFileSync(path.join(ROOT, DOC), 'utf8');
  const configNames = namesIn(readFileSync(path.join(ROOT, CONFIG), 'utf8'));
  const documented = table(doc, 'Variables read by src/lambda/config.ts');
  const elsewhere = table(doc, 'Variables read elsewhere');

  it(`the ${CONFIG} table lists exactly the LAKEGATE_* names ${CONFIG} reads`, () => {
    expect(configNames.size).to.be.greaterThan(40);
    expect([...documented.keys()].sort()).to.deep.equal([...configNames].sort());
  });

  it('every documented variable has a default (or "unset") and a meaning', () => {
    for (const [name, row] of [...documented, ...elsewhere]) {
      expect(row.fallback, `${name}: default`).to.not.equal('');
      expect(row.meaning.length, `${name}: meaning`).to.be.greaterThan(10);
    }
  });

  it('every other LAKEGATE_* name the code reads is in the "read elsewhere" table, and that table lists only those', () => {
    const read = new Set(CODE.flatMap(files).filter((f) => f !== CONFIG && /\.(ts|cjs|js|mjs|yml|sh)$|^\.ci\//.test(f)).flatMap((f) => [...namesIn(readFileSync(path.join(ROOT, f), 'utf8'))]));
    const others = [...read].filter((n) => !configNames.has(n)).sort();
    expect([...elsewhere.keys()].sort()).to.deep.equal(others);
  });
});
