/**
 * The JSON conventions of docs/design.md §4, shared by both engines so the same data gives the same
 * bytes: counts and ids are numbers, timestamps ISO-8601 UTC with milliseconds, NULL is null.
 */
import type { OutputType } from '../catalog.ts';
import type { Cell } from './types.ts';

/** Milliseconds since epoch → `2024-03-01T10:00:00.000Z`. */
export function timestampCell(ms: number): string {
  return new Date(ms).toISOString();
}

/** An integer that must fit a JSON number exactly. */
export function integerCell(value: bigint | number | string): number {
  const n = typeof value === 'string' ? Number(value) : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`integer out of JSON's exact range: ${String(value)}`);
  return n;
}

/**
 * A cell from its textual form (Athena returns every value as VarCharValue).
 * `undefined` means the cell had no value: NULL.
 */
export function cellFromText(type: OutputType, text: string | undefined): Cell {
  if (text === undefined) return null;
  switch (type) {
    case 'bigint':
    case 'integer':
      return integerCell(text);
    case 'double': {
      const n = Number(text);
      if (Number.isNaN(n) && text !== 'NaN') throw new Error(`not a double: ${text}`);
      return n;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new Error(`not a boolean: ${text}`);
      return text === 'true';
    case 'timestamp':
      return timestampCell(parseTrinoTimestamp(text));
    case 'varchar':
      return text;
  }
}

/** `2024-03-01 10:00:00.000` (Trino's text form, UTC) → epoch ms. */
export function parseTrinoTimestamp(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,9})?$/.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const frac = (m[3] ?? '.000').slice(1).padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]}T${m[2]}.${frac}Z`);
}
