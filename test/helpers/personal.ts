/** The stored personal values a client's orders reach, read from the lake's parquet (the leak canaries' needles). */
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../../src/shared/sql-literal.ts';

/**
 * Every stored personal value of the recipients of `client`'s orders created in [from, to), as
 * text: full names (first and last, as the listing joins them), e-mails, phones, addresses, and
 * the coordinates that masking changes (one with two decimals or fewer is its own mask). A
 * one-word name ("Juan") is no needle: it is also a word of street names a masked address keeps
 * (Calle San Juan); the exact-form tests check those rows.
 */
export async function storedPersonalValues(lakeDir: string, client: number, from: string, to: string): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  try {
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(`
      SELECT DISTINCT l.contact_first_name, l.contact_last_name, l.contact_email, l.contact_phone, l.address, l.latitude, l.longitude
      FROM read_parquet(${sqlString(`${lakeDir}/orders/*/*.parquet`)}) o
      JOIN read_parquet(${sqlString(`${lakeDir}/trackcode/*/*.parquet`)}) t USING (trackcode_id)
      JOIN read_parquet(${sqlString(`${lakeDir}/location/*.parquet`)}) l ON l.location_id = t.drop_location_id
      WHERE o.client_id = $client AND o.created_at >= CAST($from AS TIMESTAMP) AND o.created_at < CAST($to AS TIMESTAMP)`, { client, from, to });
    const values = new Set<string>();
    for (const [first, last, email, phone, address, lat, lon] of reader.getRows()) {
      if (first !== null && last !== null) values.add(`${first} ${last}`);
      for (const v of [email, phone, address]) if (v !== null) values.add(String(v));
      for (const c of [lat, lon]) if (c !== null && Math.round((c as number) * 100) / 100 !== c) values.add(String(c));
    }
    return [...values];
  } finally {
    db.closeSync();
  }
}
