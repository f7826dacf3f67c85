/**
 * The repository's own docs stand alone: every relative link resolves to a file of the
 * repository (nothing points outside it), and every shell block a reader may paste runs as
 * written — real example values, no `<placeholder>`, no `[--optional]` flag, no `a|b` choice.
 * The blocks the journey test executes are marked `<!-- journey: name -->`
 * (test/journeys/operator.test.ts).
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = process.cwd();
const DOCS = ['README.md', 'test/README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`)];

/** Markdown links and images `[text](target)` outside code. */
function links(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** The ```sh blocks, comments removed (a comment may describe; only commands are pasted). */
function shellBlocks(text: string): string[] {
  return [...text.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)].map((m) =>
    m[1]!.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '')).join('\n'));
}

describe('repository: the docs stand alone and their commands paste as written', () => {
  it('the README, docs/ and test/README.md exist, and the README is at most 200 lines', () => {
    for (const doc of DOCS) expect(existsSync(path.join(ROOT, doc)), doc).to.equal(true);
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length).to.be.at.most(200);
  });

  for (const doc of DOCS) {
    it(`${doc}: every relative link names a file or folder inside the repository`, () => {
      const text = readFileSync(path.join(ROOT, doc), 'utf8');
      for (const target of links(text)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const file = path.resolve(ROOT, path.dirname(doc), decodeURI(target.split('#')[0]!));
        expect(path.relative(ROOT, file).startsWith('..'), `${doc} links outside the repository: ${target}`).to.equal(false);
        expect(existsSync(file), `${doc} links to a missing file: ${target}`).to.equal(true);
      }
      expect(text, `${doc} mentions a path outside the repository`).to.not.match(/\.\.\/shared\b|shared\/docs\//);
    });

    it(`${doc}: shell blocks hold no placeholders, optional-flag brackets or a|b choices`, () => {
      for (const block of shellBlocks(readFileSync(path.join(ROOT, doc), 'utf8'))) {
        expect(block, `${doc}: a <placeholder>`).to.not.match(/<[A-Za-z][\w-]*>/);
        expect(block, `${doc}: an [--optional] flag`).to.not.match(/\[-{1,2}[a-z]/);
        expect(block, `${doc}: an a|b choice`).to.not.match(/[^\s|'"]\|[^\s|'"]/);
      }
    });
  }
});
