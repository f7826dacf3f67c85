/**
 * `nextToken`: the engine's cursor sealed with an HMAC, bound to the client, its row scope and
 * privacy mode, the query and the range, with an expiry. A client cannot forge, alter, or replay
 * one for another client, query or range, nor carry one across a change of its privacy mode (an
 * Athena execution started for one mode is never read for another); any such token is a 400.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequest } from '../errors.ts';

export interface PageBinding {
  readonly engine: string;
  readonly query: string;
  readonly clientId: number;
  readonly allClients: boolean;
  readonly from: string;
  readonly to: string;
  readonly pii: string;
}

interface Sealed extends PageBinding {
  readonly cursor: string;
  readonly expires: number;
}

const VERSION = 'v1';

export class PageTokens {
  constructor(
    private readonly secret: Buffer,
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new Error('page-token secret must be at least 32 bytes');
  }

  seal(binding: PageBinding, cursor: string): string {
    const body: Sealed = { ...binding, cursor, expires: Math.floor(this.now() / 1000) + this.ttlSec };
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    return `${VERSION}.${payload}.${this.mac(payload)}`;
  }

  /** The cursor inside a token, if the token is genuine, unexpired and bound to `binding`. */
  open(token: string, binding: PageBinding): string {
    const [version, payload, mac, ...rest] = token.split('.');
    if (version !== VERSION || !payload || !mac || rest.length) throw new BadRequest('nextToken is not a token this API issued');
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new BadRequest('nextToken is not a token this API issued');
    }
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Sealed;
    if (body.expires < this.now() / 1000) throw new BadRequest('nextToken has expired; start again from the first page');
    for (const k of ['engine', 'query', 'clientId', 'allClients', 'from', 'to'] as const) {
      if (body[k] !== binding[k]) throw new BadRequest('nextToken belongs to another query, client or range');
    }
    if (body.pii !== binding.pii) throw new BadRequest("nextToken was issued before this client's privacy mode changed; start again from the first page");
    return body.cursor;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`${VERSION}.${payload}`).digest('base64url');
  }
}
