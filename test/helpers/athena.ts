/**
 * FAKE Athena results (aws-sdk-client-mock, at the SDK seam): GetQueryResults pages of a result
 * held as Athena's text cells, paged as Athena pages them — the header row first, at most
 * MaxResults (≤ 1000) rows a page, a NextToken while rows remain.
 */
import type { GetQueryResultsCommandOutput } from '@aws-sdk/client-athena';
import type { OutputColumn } from '../../src/lambda/catalog.ts';

export type AthenaCell = { VarCharValue?: string };

export function resultsPage(
  columns: readonly OutputColumn[], rows: readonly AthenaCell[][], input: { MaxResults?: number; NextToken?: string },
): GetQueryResultsCommandOutput {
  const start = input.NextToken ? Number(input.NextToken.slice('page-'.length)) : 0;
  const max = input.MaxResults ?? 1000;
  if (max > 1000) throw new Error('MaxResults over 1000');
  const end = Math.min(rows.length, start + max);
  return {
    $metadata: {},
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns.map((c) => ({ Name: c.name, Type: c.type })) as never },
      Rows: rows.slice(start, end).map((Data) => ({ Data })),
    },
    ...(end < rows.length ? { NextToken: `page-${end}` } : {}),
  };
}
