/**
 * A SQL string literal, the one quoting of text both engines use (local paths for DuckDB,
 * rendered parameters for Athena): single quotes doubled; NUL and other control characters
 * refused, since no value we quote may hold them and a renderer bug must fail, not inject.
 */
export class SqlLiteralError extends Error {
  override name = 'SqlLiteralError';
}

export function sqlString(value: string): string {
  if (typeof value !== 'string' || /[\u0000-\u001f\u007f]/.test(value)) throw new SqlLiteralError('string with control characters');
  return `'${value.replaceAll("'", "''")}'`;
}
