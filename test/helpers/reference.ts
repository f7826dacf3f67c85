/**
 * Independent computations of the eight queries, in plain TypeScript over the lake's raw rows.
 * They share nothing with the SQL files but the lake: if a query's SQL is wrong, these disagree.
 */
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import path from 'node:path';
import type { Row } from '../../src/lambda/engine/types.ts';

type Raw = Record<string, unknown>;

export interface LakeRows {
  trackcode: Raw[];
  orders: Raw[];
  service: Map<number, string>;
  city: Map<number, { name: string; country_id: number }>;
  country: Map<number, string>;
  route: Map<number, { code: string; city_id: number }>;
  location: Map<number, Raw>;
}

/** Read every row of the lake's tables (plain scans; timestamps as epoch ms, ids as numbers). */
export async function readLake(dir: string): Promise<LakeRows> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const read = async (table: string, partitioned: boolean): Promise<Raw[]> => {
    const glob = partitioned ? path.join(dir, table, '*', '*.parquet') : path.join(dir, table, '*.parquet');
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet('${glob}', hive_partitioning = false)`);
    return r.getRowObjects().map((o) => {
      const out: Raw = {};
      for (const [k, v] of Object.entries(o)) {
        out[k] = v instanceof DuckDBTimestampValue ? Number(v.micros / 1000n) : typeof v === 'bigint' ? Number(v) : v;
      }
      return out;
    });
  };
  const [trackcode, orders, service, city, country, route, location] = await Promise.all([
    read('trackcode', true), read('orders', true), read('service', false), read('city', false),
    read('country', false), read('route', false), read('location', false),
  ]);
  conn.closeSync();
  db.closeSync();
  return {
    trackcode,
    orders,
    service: new Map(service.map((s) => [s.service_id as number, s.name as string])),
    city: new Map(city.map((c) => [c.city_id as number, { name: c.name as string, country_id: c.country_id as number }])),
    country: new Map(country.map((c) => [c.country_id as number, c.name as string])),
    route: new Map(route.map((r) => [r.route_id as number, { code: r.code as string, city_id: r.city_id as number }])),
    location: new Map(location.map((r) => [r.location_id as number, r])),
  };
}

export interface Scope {
  from: Date;
  to: Date;
  client_id: number;
  all_clients: boolean;
  limit?: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function inScope(r: Raw, s: Scope): boolean {
  const t = r.created_at as number;
  return t >= s.from.getTime() && t < s.to.getTime() && (s.all_clients || r.client_id === s.client_id);
}

function countBy<T>(rows: T[], key: (r: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return m;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export const reference: Record<string, (lake: LakeRows, s: Scope) => Row[]> = {
  count_orders_by_range: (l, s) => [{ orders: l.orders.filter((o) => inScope(o, s)).length }],

  count_trackcode_by_range: (l, s) =>
    [...countBy(l.trackcode.filter((t) => inScope(t, s)), (t) => iso(t.created_at as number)!.slice(0, 10))]
      .sort(([a], [b]) => cmp(a, b))
      .map(([day, trackcodes]) => ({ day, trackcodes })),

  count_trackcode_lost_by_range: (l, s) => [
    { lost_trackcodes: l.trackcode.filter((t) => inScope(t, s) && t.status === 'lost').length },
  ],

  count_delivered_trackcode_before_promise_time_by_range: (l, s) => {
    const delivered = l.trackcode.filter((t) => inScope(t, s) && t.status === 'delivered');
    const before = delivered.filter((t) => (t.delivered_at as number) <= (t.promise_time as number)).length;
    return [{
      delivered: delivered.length,
      delivered_before_promise: before,
      ratio: delivered.length === 0 ? null : round(before / delivered.length, 4),
    }];
  },

  most_required_service_by_range: (l, s) =>
    [...countBy(l.trackcode.filter((t) => inScope(t, s)), (t) => l.service.get(t.service_id as number)!)]
      .sort(([a, x], [b, y]) => y - x || cmp(a, b))
      .map(([service, trackcodes]) => ({ service, trackcodes })),

  most_visited_location_from_trackcode_by_range: (l, s) =>
    [...countBy(l.trackcode.filter((t) => inScope(t, s)), (t) => String(t.drop_city_id))]
      .map(([id, trackcodes]) => {
        const c = l.city.get(Number(id))!;
        return { city: c.name, country: l.country.get(c.country_id)!, trackcodes };
      })
      .sort((a, b) => b.trackcodes - a.trackcodes || cmp(a.city, b.city))
      .slice(0, s.limit ?? 10),

  get_money_from_routes_by_range: (l, s) => {
    const byRoute = new Map<number, { orders: number; revenue: number }>();
    for (const o of l.orders.filter((o) => inScope(o, s))) {
      const r = byRoute.get(o.route_id as number) ?? { orders: 0, revenue: 0 };
      r.orders += 1;
      r.revenue += o.price as number;
      byRoute.set(o.route_id as number, r);
    }
    return [...byRoute]
      .map(([route_id, r]) => {
        const route = l.route.get(route_id)!;
        return { route_id, route_code: route.code, city: l.city.get(route.city_id)!.name, orders: r.orders, revenue: round(r.revenue, 2) };
      })
      .sort((a, b) => b.revenue - a.revenue || a.route_id - b.route_id);
  },

  all_orders_by_range: (l, s) => {
    const tcById = new Map(l.trackcode.map((t) => [t.trackcode_id as number, t]));
    return l.orders
      .filter((o) => inScope(o, s))
      .sort((a, b) => (a.created_at as number) - (b.created_at as number) || (a.order_id as number) - (b.order_id as number))
      .map((o) => {
        const t = tcById.get(o.trackcode_id as number)!;
        const drop = l.location.get(t.drop_location_id as number);
        const name = [drop?.contact_first_name, drop?.contact_last_name].filter((n) => n !== null && n !== undefined).join(' ');
        return {
          order_id: o.order_id as number,
          trackcode_id: o.trackcode_id as number,
          trackcode: t.code as string,
          service: l.service.get(t.service_id as number)!,
          route_code: l.route.get(o.route_id as number)!.code,
          drop_city: l.city.get(t.drop_city_id as number)!.name,
          status: o.status as string,
          created_at: iso(o.created_at as number),
          promise_time: iso(o.promise_time as number),
          start_time: iso(o.start_time as number | null),
          end_time: iso(o.end_time as number | null),
          // The recipient, stored values (what a clear caller gets).
          recipient_name: name === '' ? null : name,
          recipient_email: (drop?.contact_email ?? null) as string | null,
          recipient_phone: (drop?.contact_phone ?? null) as string | null,
          drop_address: (drop?.address ?? null) as string | null,
          drop_latitude: (drop?.latitude ?? null) as number | null,
          drop_longitude: (drop?.longitude ?? null) as number | null,
        };
      });
  },
};
