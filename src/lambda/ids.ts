/** The domain's identifiers, as they appear in tokens, URLs, query files and the access table. */

/** A client id: a whole number without sign or leading zeros (JWT `sub`, authorizer context, CLIs). */
export const CLIENT_ID = /^(0|[1-9]\d{0,8})$/;

/** A named query: lower_snake_case, as in its file name and endpoint path. */
export const QUERY_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** A scope name in a token or a token request: a query name or `whoami` (the same shape). */
export const SCOPE_NAME = QUERY_NAME;

/** A client's id at an identity provider (Cognito app client ids, Auth0 `…|…` ids): printable, no spaces, bounded. */
export const PROVIDER_CLIENT_ID = /^[A-Za-z0-9._:@|-]{1,256}$/;

/** A deployment stage (`prod`, `staging`): it names the Glue database, the workgroup, crawlers and functions. */
export const STAGE_NAME = /^[a-z][a-z0-9]{0,15}$/;
