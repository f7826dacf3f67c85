/** Quote a value as a SQL string literal (single quotes doubled). For paths and other local text. */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new Error('NUL byte in SQL string literal');
  return `'${value.replaceAll("'", "''")}'`;
}
