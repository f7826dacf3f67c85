/** Command blocks of the repository's docs, as a reader pastes them (`<!-- journey: name -->` marks a block tests execute verbatim). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The ```sh block right after the marker `<!-- journey: <name> -->` in `file` (relative to the repository root). */
export function journeyBlock(file: string, name: string): string {
  const text = readFileSync(path.join(process.cwd(), file), 'utf8');
  const marker = `<!-- journey: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no ${marker}`);
  const m = /^```sh\n([\s\S]*?)^```$/m.exec(text.slice(at + marker.length));
  if (!m || text.slice(at + marker.length, at + marker.length + m.index).trim() !== '') throw new Error(`${file}: ${marker} is not right before a sh block`);
  return m[1]!;
}
