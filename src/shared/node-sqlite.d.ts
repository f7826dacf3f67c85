/**
 * The part of Node 22's built-in `node:sqlite` the limiter uses. The pinned Node 22 runs every
 * npm script, test and serverless-offline; @types/node is kept at 20 (the code's floor), which
 * does not declare the module yet.
 */
declare module 'node:sqlite' {
  type SQLValue = null | number | bigint | string | Uint8Array;
  export class StatementSync {
    run(...params: SQLValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    get(...params: SQLValue[]): Record<string, SQLValue> | undefined;
    all(...params: SQLValue[]): Record<string, SQLValue>[];
  }
  export class DatabaseSync {
    constructor(path: string, options?: { open?: boolean; timeout?: number });
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
