// grant_type=authorization_code: single-use codes bound to client, redirect URI and PKCE challenge.
import { createHash } from 'node:crypto';
import type { EmulatorContext } from '../context';
import { mintTokenResponse } from './issue';
import type { GrantRequest, GrantResult } from './grants';
import { firstResource, parseScope, readScopeRequest, splitScopeParam } from './scopes';

export function pkceMatches(method: 'S256' | 'plain', challenge: string, verifier: string): boolean {
  const derived = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return derived === challenge;
}

export async function authorizationCodeGrant(ctx: EmulatorContext, req: GrantRequest): Promise<GrantResult> {
  const { state } = ctx;
  const { form, fail } = req;
  const code = form.get('code');
  if (!code) return fail([900144], { param: 'code' });
  const record = state.codes.get(code);
  if (!record || record.clientId !== req.clientId) return fail([9002313], {}, { error: 'invalid_grant' });
  if (record.redeemed) return fail([54005]);
  if (record.expiresAt <= state.now()) return fail([70008]);
  const redirectUri = form.get('redirect_uri');
  if (!redirectUri) return fail([900144], { param: 'redirect_uri' });
  if (redirectUri !== record.redirectUri) return fail([500112], { redirectUri, expectedRedirectUri: record.redirectUri });
  if (record.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier');
    if (!verifier || !pkceMatches(record.codeChallengeMethod ?? 'plain', record.codeChallenge, verifier)) return fail([501481]);
  }
  const user = state.users.get(record.userOid);
  if (!user) return fail([9002313], {}, { error: 'invalid_grant' });

  // Without `scope`, the code redeems for the first resource it was authorized for.
  const scopeParam = form.get('scope');
  const requested = scopeParam === null ? readScopeRequest(record.scopes) : readScopeRequest(splitScopeParam(scopeParam));
  let resource = firstResource(record.scopes) ?? 'graph';
  if (scopeParam !== null) {
    if (!requested.ok) {
      return requested.problem === 'multiple_resources'
        ? fail([28000], { scope: scopeParam })
        : fail([500011], { resource: requested.resourceUri, tenant: req.tenant.segment });
    }
    if (requested.resource) resource = requested.resource;
    const missing = splitScopeParam(scopeParam).map(parseScope).find((s) => s.kind === 'resource' && s.permission !== '.default' && !state.hasConsent(user.oid, req.clientId, s.resource, s.permission));
    if (missing) return fail([65001]);
  }
  record.redeemed = true;

  const oidc = new Set(record.scopes.map(parseScope).flatMap((s) => (s.kind === 'oidc' ? [s.name] : [])));
  if (requested.ok) for (const s of requested.oidc) oidc.add(s);
  const family = oidc.has('offline_access') ? state.newFamily(user.oid, req.clientId, record.scopes) : null;
  const body = await mintTokenResponse(ctx, { user, clientId: req.clientId, resource, oidc, family, nonce: record.nonce });
  return { ok: true, body };
}
