// Builds a successful token response (both grants share it): one access token for one resource,
// carrying every permission the user consented to for that resource, plus the refresh and id
// tokens the grant calls for.
import type { EmulatorContext } from '../context';
import type { EmulatorUser, GrantFamily } from '../state';
import { signIdToken } from './id-token';
import { displayPermission, OIDC_SCOPES, type ResourceName } from './scopes';

export interface TokenResponseBody {
  token_type: 'Bearer';
  scope: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

export interface MintInput {
  user: EmulatorUser;
  clientId: string;
  resource: ResourceName;
  /** OpenID scopes this request (or the authorization) asked for. */
  oidc: Set<string>;
  /** The refresh-token family to extend, or null when no refresh token is due. */
  family: GrantFamily | null;
  nonce?: string;
}

export async function mintTokenResponse(ctx: EmulatorContext, input: MintInput): Promise<TokenResponseBody> {
  const { state } = ctx;
  const permissions = state.consented(input.user.oid, input.clientId, input.resource);
  const ttl = state.config.accessTokenTtlSeconds;
  const access = state.issueAccessToken({ userOid: input.user.oid, clientId: input.clientId, resource: input.resource, scopes: permissions, ttlSeconds: ttl });
  // Graph responses list the OpenID scopes alongside its permissions; other resources list only theirs.
  const oidcShown = input.resource === 'graph' ? OIDC_SCOPES.filter((s) => input.oidc.has(s)) : [];
  const body: TokenResponseBody = {
    token_type: 'Bearer',
    scope: [...permissions.map((p) => displayPermission(input.resource, p)), ...oidcShown].join(' '),
    expires_in: ttl,
    ext_expires_in: ttl,
    access_token: access.value,
  };
  if (input.family) body.refresh_token = state.issueRefreshToken(input.family.id);
  if (input.oidc.has('openid')) {
    body.id_token = await signIdToken({
      baseUrl: ctx.baseUrl(),
      keys: ctx.keys,
      user: input.user,
      clientId: input.clientId,
      oidcScopes: input.oidc,
      nonce: input.nonce,
      nowMs: state.now(),
    });
  }
  return body;
}
