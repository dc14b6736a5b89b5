// grant_type=refresh_token: one resource per request, decided by the scope; rotates every time.
// By default an already-used refresh token keeps working (Microsoft does not revoke a token when
// it rotates it); strict rotation rejects reuse, to prove the service never relies on that.
import type { EmulatorContext } from '../context';
import { mintTokenResponse } from './issue';
import type { GrantRequest, GrantResult } from './grants';
import { DEFAULT_PERMISSION, firstResource, readScopeRequest, splitScopeParam } from './scopes';
import { REFRESH_INACTIVITY_MS } from '../state';

export async function refreshTokenGrant(ctx: EmulatorContext, req: GrantRequest): Promise<GrantResult> {
  const { state } = ctx;
  const { form, fail } = req;
  const token = form.get('refresh_token');
  if (!token) return fail([900144], { param: 'refresh_token' });
  const record = state.refreshTokens.get(token);
  const family = record ? state.families.get(record.familyId) : undefined;
  if (!record || !family) return fail([9002313], {}, { error: 'invalid_grant' });
  if (family.clientId !== req.clientId) return fail([70000]);
  if (family.revoked) {
    return fail([family.revoked.aadsts], { issuedAt: new Date(record.issuedAt), validFrom: new Date(family.revoked.at) });
  }
  if (state.now() - record.issuedAt > REFRESH_INACTIVITY_MS) return fail([700082], { issuedAt: new Date(record.issuedAt) });
  if (state.config.strictRotation && record.used) return fail([70000]);
  const user = state.users.get(family.userOid);
  if (!user) return fail([50057]);

  const scopeParam = form.get('scope');
  const scopes = scopeParam === null ? family.scopes : splitScopeParam(scopeParam);
  const requested = readScopeRequest(scopes);
  if (!requested.ok) {
    return requested.problem === 'multiple_resources'
      ? fail([28000], { scope: scopes.join(' ') })
      : fail([500011], { resource: requested.resourceUri, tenant: req.tenant.segment });
  }
  // Only OpenID scopes: Microsoft answers for Graph, its default resource.
  const resource = requested.resource ?? (scopeParam === null ? firstResource(family.scopes) : null) ?? 'graph';
  const consented = state.consented(user.oid, req.clientId, resource);
  for (const permission of requested.permissions) {
    const ok = permission === DEFAULT_PERMISSION ? consented.length > 0 : state.hasConsent(user.oid, req.clientId, resource, permission);
    if (!ok) return fail([65001]);
  }

  record.used = true;
  record.lastUsedAt = state.now();
  const body = await mintTokenResponse(ctx, { user, clientId: req.clientId, resource, oidc: new Set(requested.oidc), family });
  return { ok: true, body };
}
