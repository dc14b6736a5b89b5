// POST /{tenant}/oauth2/v2.0/token: counting, latency and failure injection first (they model the
// platform, not the request), then client authentication, then the grant.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import { aadError, defaultCodesForError, defaultErrorForStatus } from '../errors';
import type { TokenFailure } from '../failures';
import { readForm, sendJson } from '../http';
import type { TokenRequestLogEntry } from '../state';
import { authenticateClient, basicCredentials } from './client-auth';
import { authorizationCodeGrant } from './grant-code';
import { refreshTokenGrant } from './grant-refresh';
import type { GrantRequest, GrantResult } from './grants';
import { firstResource, readScopeRequest, splitScopeParam, type ResourceName } from './scopes';
import { resolveTenant } from './tenants';

const NO_STORE = { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' };

export async function handleToken(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, tenantSegment: string): Promise<void> {
  const { state } = ctx;
  const baseUrl = ctx.baseUrl();
  if (req.method !== 'POST') {
    const { status, body } = aadError({ codes: [900561], baseUrl });
    return sendJson(res, status, body, NO_STORE);
  }
  const form = await readForm(req);
  const grantType = form.get('grant_type') ?? '';
  const entry: TokenRequestLogEntry = { at: state.now(), tenant: tenantSegment, grantType, resource: requestResource(ctx, grantType, form), status: 0, injected: false };
  count(ctx, entry);
  // Status and failure counts are settled before the answer leaves, so a caller that has its
  // response already sees them in stats() and the log.
  const settle = (status: number, error?: string) => {
    entry.status = status;
    entry.error = error;
    if (status === 0 || status >= 400) state.stats.token.failed += 1;
  };

  await ctx.sleeper.sleep(state.config.latencyMs);
  const failure = ctx.failures.take(grantType, entry.resource, requestUserTenant(ctx, grantType, form));
  if (failure) {
    entry.injected = true;
    const handled = await injectFailure(ctx, req, res, failure, settle);
    if (handled) return;
  }

  const result = await runGrant(ctx, req, form, tenantSegment, grantType);
  if (result.ok) {
    settle(200);
    return sendJson(res, 200, result.body, NO_STORE);
  }
  settle(result.error.status, result.error.body.error);
  sendJson(res, result.error.status, result.error.body, { ...NO_STORE, 'x-ms-request-id': result.error.body.trace_id });
}

function count(ctx: EmulatorContext, entry: TokenRequestLogEntry): void {
  const stats = ctx.state.stats.token;
  stats.total += 1;
  if (entry.grantType === 'authorization_code') stats.authorization_code += 1;
  else if (entry.grantType === 'refresh_token') stats.refresh_token += 1;
  else stats.other += 1;
  if (entry.resource) stats.byResource[entry.resource] += 1;
  ctx.state.tokenRequestLog.push(entry);
}

/** Which resource a token request is for, read without consuming anything (for counters and matching). */
function requestResource(ctx: EmulatorContext, grantType: string, form: URLSearchParams): ResourceName | null {
  const scopeParam = form.get('scope');
  if (scopeParam !== null) {
    const parsed = readScopeRequest(splitScopeParam(scopeParam));
    return parsed.ok ? (parsed.resource ?? 'graph') : null;
  }
  if (grantType === 'authorization_code') {
    const code = ctx.state.codes.get(form.get('code') ?? '');
    return code ? (firstResource(code.scopes) ?? 'graph') : null;
  }
  if (grantType === 'refresh_token') {
    const record = ctx.state.refreshTokens.get(form.get('refresh_token') ?? '');
    const family = record && ctx.state.families.get(record.familyId);
    return family ? (firstResource(family.scopes) ?? 'graph') : null;
  }
  return null;
}

/** The home tenant of the user whose grant the request presents (for tenant-scoped failures). */
function requestUserTenant(ctx: EmulatorContext, grantType: string, form: URLSearchParams): string | null {
  const { state } = ctx;
  let userOid: string | undefined;
  if (grantType === 'authorization_code') userOid = state.codes.get(form.get('code') ?? '')?.userOid;
  if (grantType === 'refresh_token') {
    const record = state.refreshTokens.get(form.get('refresh_token') ?? '');
    userOid = record ? state.families.get(record.familyId)?.userOid : undefined;
  }
  return userOid === undefined ? null : (state.users.get(userOid)?.tid ?? null);
}

/** True when the failure answered (or dropped) the request; false lets a slow success proceed. */
async function injectFailure(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, failure: TokenFailure, settle: (status: number, error?: string) => void): Promise<boolean> {
  await ctx.sleeper.sleep(failure.hangMs ?? 0);
  if (failure.dropConnection) {
    settle(0);
    req.socket.destroy();
    return true;
  }
  if (failure.status >= 200 && failure.status < 300) return false;
  const fallback = defaultErrorForStatus(failure.status);
  const error = failure.error ?? fallback.error;
  const codes = failure.aadsts ?? (failure.error ? defaultCodesForError(failure.error) : fallback.codes);
  const { body } = aadError({ codes, baseUrl: ctx.baseUrl(), error, status: failure.status, suberror: failure.suberror, context: { clientId: ctx.state.config.clientId, appName: ctx.state.config.appName } });
  settle(failure.status, body.error);
  const headers: Record<string, string> = { ...NO_STORE, 'x-ms-request-id': body.trace_id };
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  sendJson(res, failure.status, body, headers);
  return true;
}

async function runGrant(ctx: EmulatorContext, req: IncomingMessage, form: URLSearchParams, tenantSegment: string, grantType: string): Promise<GrantResult> {
  const { config } = ctx.state;
  const basic = basicCredentials(req);
  const clientId = basic?.clientId ?? form.get('client_id') ?? '';
  const secret = basic?.secret ?? form.get('client_secret');
  const fail: GrantRequest['fail'] = (codes, context = {}, overrides = {}) => ({
    ok: false,
    error: aadError({ codes, baseUrl: ctx.baseUrl(), error: overrides.error, context: { clientId, appName: config.appName, grantType, ...context } }),
  });

  const tenant = resolveTenant(tenantSegment, ctx.state.knownTenants());
  if (!tenant) return fail([90002], { tenant: tenantSegment });
  if (!grantType) return fail([900144], { param: 'grant_type' });
  if (!clientId) return fail([900144], { param: 'client_id' });
  if (clientId.toLowerCase() !== config.clientId.toLowerCase()) return fail([700016], { tenant: tenantSegment });
  const refused = await authenticateClient(ctx, { form, secret, clientId: config.clientId, tenantSegment, fail });
  if (refused) return refused;

  // From here on the registration's own spelling of the id keys consent and grants.
  const request: GrantRequest = { form, clientId: config.clientId, tenant, fail };
  if (grantType === 'authorization_code') return authorizationCodeGrant(ctx, request);
  if (grantType === 'refresh_token') return refreshTokenGrant(ctx, request);
  return fail([70003], { grantType });
}
