/**
 * Error classes of the domain, each knowing its HTTP status and public code. One place
 * (src/lambda/api/response.ts) turns them into responses; anything else becomes a generic 500, so
 * internals (SQL, paths, bucket names, stack traces) never reach a client. Messages are
 * always our own text: 4xx ones say what to fix, 5xx ones are generic (the reason is logged).
 */

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string> = {};
}

/** 400: a request parameter is missing, malformed, unknown, repeated or out of bounds. */
export class BadRequest extends ApiError {
  readonly status = 400;
  readonly code = 'bad_request';
}

/** 403: the caller may not do this (not granted, or the authorizer context is missing). */
export class Forbidden extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** 404: no such query. */
export class NotFound extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** 405: the path exists but does not answer this method; `Allow` names the methods it answers. */
export class MethodNotAllowed extends ApiError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(message: string, allow: string) {
    super(message);
    this.headers.Allow = allow;
  }
}

/** 406: the client accepts no format we produce. */
export class NotAcceptable extends ApiError {
  readonly status = 406;
  readonly code = 'not_acceptable';
}

/** 422: the range would scan more data than the cost guard allows. */
export class RangeTooExpensive extends ApiError {
  readonly status = 422;
  readonly code = 'range_too_expensive';
}

/** 429 / 503: the engine is throttled or busy; try again after `retryAfterSeconds`. */
export class EngineBusy extends ApiError {
  readonly code = 'engine_busy';
  constructor(
    message: string,
    readonly status: 429 | 503,
    retryAfterSeconds: number,
  ) {
    super(message);
    this.headers['Retry-After'] = String(Math.max(1, Math.round(retryAfterSeconds)));
  }
}

/** 504: the engine did not answer within the request's deadline. */
export class EngineTimeout extends ApiError {
  readonly status = 504;
  readonly code = 'query_timeout';
}

/** 500 with a generic body: the engine failed; the reason is logged, never sent. */
export class EngineFailure extends ApiError {
  readonly status = 500;
  readonly code = 'query_failed';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('the query failed', options);
  }
}

/** 503: the data is temporarily unreadable (missing or corrupt partition file, storage fault). */
export class DataUnavailable extends ApiError {
  readonly status = 503;
  readonly code = 'data_unavailable';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('the data for this range is temporarily unavailable', options);
    this.headers['Retry-After'] = '30';
  }
}

/** 429: the client is over its plan's rate (token bucket); `Retry-After` says when a token is back. */
export class RateLimited extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(retryAfterSeconds: number) {
    super(`too many requests for this client's plan; retry after ${retryAfterSeconds} s`);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** 429: the client has used its plan's requests for this UTC day; `Retry-After` runs to 00:00 UTC. */
export class QuotaExceeded extends ApiError {
  readonly status = 429;
  readonly code = 'quota_exceeded';
  constructor(retryAfterSeconds: number) {
    super(`this client's daily quota is used up; it resets at 00:00 UTC (retry after ${retryAfterSeconds} s)`);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}
