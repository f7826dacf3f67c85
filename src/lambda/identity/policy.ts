/**
 * The authorizer's decision: a pure function of the verified client, the access table, the
 * catalog and the method ARN being called.
 *
 * API Gateway caches the returned policy per token and reuses it for every method, so the
 * policy must be the same whichever endpoint triggered it: Allow lists exactly the method ARNs
 * of every query the client may call, plus `whoami` (never a wildcard, never just the current
 * method).
 */
import type { AccessTable, RowScope } from '../access/model.ts';
import { grantedQueries, piiOfRule, planOfRule } from '../access/model.ts';
import type { PiiMode } from '../privacy/modes.ts';

/**
 * `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{resource…}`
 * (serverless-offline uses non-numeric placeholder account and API ids).
 */
const METHOD_ARN = /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[A-Za-z0-9-]+):([A-Za-z0-9-]+)\/([A-Za-z0-9_-]+)\/[A-Z]+\/[^\s*]*$/;

export interface AuthorizerContext {
  /** As strings/numbers, which is all API Gateway passes on (and as strings, to the handler). */
  readonly clientId: string;
  readonly rowScope: RowScope;
  readonly maxRangeDays: number;
  /** The client's plan, for the local gateway's limiter (on AWS, API Gateway's usage plans limit). */
  readonly plan: string;
  /** How the client sees personal data (docs/privacy.md). */
  readonly pii: PiiMode;
}

/**
 * What a refused caller is told: API Gateway's ACCESS_DENIED answer renders these members of the
 * authorizer's context (`$context.authorizer.denyCode`, `.denyMessage`; serverless/gateway-responses.cjs).
 * An Allow carries the answer for a method its policy does not list.
 */
export interface DenyContext {
  readonly denyCode: 'forbidden' | 'client_disabled';
  readonly denyMessage: string;
}

/** The refusals a client may be told about (never why an internal failure denied). */
export const DENIALS = {
  notGranted: { denyCode: 'forbidden', denyMessage: 'this client may not call this query' },
  disabled: { denyCode: 'client_disabled', denyMessage: "this client's access is disabled; ask the API's operator to enable it" },
  unknown: { denyCode: 'forbidden', denyMessage: 'this client has no access to this API' },
  unavailable: { denyCode: 'forbidden', denyMessage: 'access could not be checked; try again shortly' },
} as const satisfies Record<string, DenyContext>;

/** The methods a granted endpoint answers: HEAD answers like GET, without a body. */
export const ENDPOINT_METHODS = ['GET', 'HEAD'] as const;

/**
 * Endpoints every enabled client may call besides its queries: `whoami` answers who the token
 * is for (client, row scope, maximum range), so clients can check their token.
 */
export const ACCOUNT_ENDPOINTS = ['whoami'] as const;

export type Decision =
  | { readonly effect: 'Allow'; readonly clientId: number; readonly resources: readonly string[]; readonly context: AuthorizerContext }
  | { readonly effect: 'Deny'; readonly clientId: number | null; readonly resources: readonly string[]; readonly reason: string; readonly told: DenyContext };

/** `arn:…:{apiId}/{stage}` of a method ARN; throws on anything else (fail closed). */
export function apiStagePrefix(methodArn: string): string {
  const m = METHOD_ARN.exec(methodArn);
  if (!m) throw new Error('unexpected methodArn');
  return `${m[1]}:${m[2]}/${m[3]}`;
}

export function denyAll(methodArn: string, clientId: number | null, reason: string, told: DenyContext = DENIALS.unknown): Decision {
  let resources: string[];
  try {
    resources = [`${apiStagePrefix(methodArn)}/*/*`];
  } catch {
    resources = ['*']; // a Deny may be broad; only an Allow must be exact
  }
  return { effect: 'Deny', clientId, resources, reason, told };
}

/**
 * The endpoints a token may call: the rule's granted queries plus the account endpoints, narrowed
 * to the token's `scope` when it is down-scoped (RFC 6749 §3.3): a scoped token never reaches
 * more than its scope, even where the access rule grants more.
 */
export function grantedEndpoints(granted: readonly string[], scope: readonly string[] | null): string[] {
  const all = [...granted, ...ACCOUNT_ENDPOINTS];
  return scope === null ? all : all.filter((e) => scope.includes(e));
}

export function decide(
  clientId: number, table: AccessTable, catalogNames: readonly string[], methodArn: string, scope: readonly string[] | null = null,
): Decision {
  const rule = table.get(clientId);
  if (!rule) return denyAll(methodArn, clientId, 'client not in the access table');
  if (!rule.enabled) return denyAll(methodArn, clientId, 'client disabled', DENIALS.disabled);
  const queries = grantedQueries(rule, catalogNames);
  if (queries.length === 0) return denyAll(methodArn, clientId, 'no query granted', DENIALS.notGranted);
  const endpoints = grantedEndpoints(queries, scope);
  if (endpoints.length === 0) return denyAll(methodArn, clientId, 'the token scope grants nothing', DENIALS.notGranted);
  const prefix = apiStagePrefix(methodArn);
  return {
    effect: 'Allow',
    clientId,
    resources: endpoints.flatMap((q) => ENDPOINT_METHODS.map((m) => `${prefix}/${m}/${q}`)),
    context: { clientId: String(clientId), rowScope: rule.row_scope, maxRangeDays: rule.max_range_days, plan: planOfRule(rule), pii: piiOfRule(rule) },
  };
}

/**
 * The IAM policy document API Gateway expects from a TOKEN authorizer. `usageIdentifierKey` (the
 * client's API key value) lets API Gateway apply the client's usage plan (API key source AUTHORIZER);
 * `seal` proves the context to handlers on the local gateway (src/lambda/identity/context-seal.ts).
 */
export function toAuthorizerResult(d: Decision, usageIdentifierKey?: string, seal?: string) {
  return {
    principalId: d.clientId === null ? 'unknown' : String(d.clientId),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: d.effect, Resource: [...d.resources] }],
    },
    // An Allow's context also says what to answer for a method its policy does not list.
    context: d.effect === 'Allow' ? { ...d.context, ...DENIALS.notGranted, ...(seal !== undefined ? { seal } : {}) } : { ...d.told },
    ...(d.effect === 'Allow' && usageIdentifierKey !== undefined ? { usageIdentifierKey } : {}),
  };
}
