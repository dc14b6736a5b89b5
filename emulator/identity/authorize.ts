// GET /{tenant}/oauth2/v2.0/authorize: validates the request like Microsoft, then signs in and
// consents automatically (login_hint → default user → the only user), or shows an account
// chooser when it cannot tell who is signing in. Errors about the client or the redirect URI are
// shown as a page (Microsoft never redirects to an unverified URI); the rest go back to the app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import { aadError, type AadContext } from '../errors';
import { escapeHtml, redirect, sendHtml } from '../http';
import type { EmulatorUser } from '../state';
import { parseScope, splitScopeParam } from './scopes';
import { resolveTenant, userFitsTenant, type Tenant } from './tenants';

export function redirectUriAllowed(registered: string[] | null, uri: string): boolean {
  if (registered) return registered.includes(uri);
  try {
    const parsed = new URL(uri);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

export async function handleAuthorize(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, tenantSegment: string): Promise<void> {
  const { state } = ctx;
  state.stats.authorize += 1;
  const p = url.searchParams;
  const clientId = p.get('client_id') ?? '';
  const aad = (codes: number[], context: AadContext = {}) =>
    aadError({ codes, baseUrl: ctx.baseUrl(), context: { clientId, appName: state.config.appName, ...context } });
  const page = (codes: number[], context: AadContext = {}) => errorPage(res, aad(codes, context).body);

  const tenant = resolveTenant(tenantSegment, state.knownTenants());
  if (!tenant) return page([90002], { tenant: tenantSegment });
  if (!clientId) return page([900144], { param: 'client_id' });
  if (clientId.toLowerCase() !== state.config.clientId.toLowerCase()) return page([700016], { tenant: tenantSegment });
  const redirectUri = p.get('redirect_uri') ?? (state.config.redirectUris?.length === 1 ? state.config.redirectUris[0]! : '');
  if (!redirectUri) return page([900144], { param: 'redirect_uri' });
  if (!redirectUriAllowed(state.config.redirectUris, redirectUri)) return page([50011], { redirectUri });

  const appState = p.get('state');
  const responseMode = p.get('response_mode') ?? 'query';
  const back = (params: Record<string, string>) => respond(res, redirectUri, responseMode, { ...params, ...(appState !== null ? { state: appState } : {}) });
  const fail = (codes: number[], context: AadContext = {}) => {
    const { body } = aad(codes, context);
    back({ error: body.error, error_description: body.error_description, error_uri: body.error_uri });
  };

  const responseType = p.get('response_type') ?? '';
  if (!responseType) return fail([900144], { param: 'response_type' });
  if (responseType !== 'code') return fail([70005], { responseType });
  const scopes = splitScopeParam(p.get('scope'));
  if (scopes.length === 0) return fail([900144], { param: 'scope' });
  const unknown = scopes.map(parseScope).find((s) => s.kind === 'unknown');
  if (unknown && unknown.kind === 'unknown') return fail([500011], { resource: unknown.resourceUri, tenant: tenantSegment });

  const challenge = p.get('code_challenge') ?? undefined;
  const method = p.get('code_challenge_method') ?? 'plain';
  if (challenge !== undefined) {
    if (challenge.length < 43 || challenge.length > 128) return fail([501491]);
    if (method !== 'S256' && method !== 'plain') return fail([9002313]);
  }

  const user = pickUser(ctx, p.get('login_hint'));
  if (user === 'chooser') return chooserPage(res, url, [...state.users.values()]);
  if (!user) return errorPage(res, { error: 'invalid_request', error_description: 'No account can sign in: add a user to the emulator first.' });
  if (!userFitsTenant(user, tenant)) return page([50020], { email: user.email, tenant: tenantLabel(tenant) });

  // Auto-consent: what was asked for is now granted, on top of what was granted before.
  for (const parsed of scopes.map(parseScope)) {
    if (parsed.kind === 'resource') state.addConsent(user.oid, clientId, parsed.resource, [parsed.permission]);
  }
  const code = state.issueCode({
    userOid: user.oid,
    clientId: state.config.clientId,
    redirectUri,
    scopes,
    nonce: p.get('nonce') ?? undefined,
    codeChallenge: challenge,
    codeChallengeMethod: challenge === undefined ? undefined : (method as 'S256' | 'plain'),
    tenant: tenant.segment,
  });
  back({ code });
}

function tenantLabel(tenant: Tenant): string {
  return 'tid' in tenant ? tenant.tid : tenant.segment;
}

function pickUser(ctx: EmulatorContext, loginHint: string | null): EmulatorUser | 'chooser' | null {
  const { state } = ctx;
  const hinted = loginHint ? state.userByEmail(loginHint) : undefined;
  if (hinted) return hinted;
  const fallback = state.defaultUserOid ? state.users.get(state.defaultUserOid) : undefined;
  if (fallback) return fallback;
  if (state.users.size === 1) return [...state.users.values()][0]!;
  return state.users.size > 1 ? 'chooser' : null;
}

function respond(res: ServerResponse, redirectUri: string, responseMode: string, params: Record<string, string>): void {
  if (responseMode === 'form_post') {
    const inputs = Object.entries(params)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join('');
    return sendHtml(res, 200, `<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`);
  }
  const target = new URL(redirectUri);
  const search = responseMode === 'fragment' ? new URLSearchParams() : target.searchParams;
  for (const [k, v] of Object.entries(params)) search.set(k, v);
  if (responseMode === 'fragment') target.hash = search.toString();
  redirect(res, target.toString());
}

function errorPage(res: ServerResponse, body: { error: string; error_description: string }): void {
  sendHtml(res, 400, `<!doctype html><html><head><title>Sign in to your account</title></head><body><h1>Sorry, but we’re having trouble signing you in.</h1><p id="error">${escapeHtml(body.error)}</p><pre id="error_description">${escapeHtml(body.error_description)}</pre></body></html>`);
}

/** One button per account; each submits the same authorize request again with login_hint set. */
function chooserPage(res: ServerResponse, url: URL, users: EmulatorUser[]): void {
  const hidden = [...url.searchParams.entries()]
    .filter(([k]) => k !== 'login_hint')
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const buttons = users
    .map((u) => `<li><button type="submit" name="login_hint" value="${escapeHtml(u.email)}">${escapeHtml(u.name)} &lt;${escapeHtml(u.email)}&gt;</button></li>`)
    .join('');
  sendHtml(res, 200, `<!doctype html><html><head><title>Pick an account</title></head><body><h1>Pick an account</h1><form method="get" action="${escapeHtml(url.pathname)}">${hidden}<ul>${buttons}</ul></form></body></html>`);
}
