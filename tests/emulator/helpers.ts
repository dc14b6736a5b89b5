// Plain HTTP helpers for talking to the emulator the way a standards-based client does.
import { createHash, randomBytes } from 'node:crypto';
import type { MicrosoftEmulator } from '@/emulator';

export const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
export const GRAPH_FILES_SCOPE = 'https://graph.microsoft.com/Files.Read.All';
export const MAIL_SCOPES = `${IMAP_SCOPE} offline_access openid profile email`;
export const REDIRECT_URI = 'http://127.0.0.1:3999/api/mail/callback';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeParams {
  tenant?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  challenge?: string;
  loginHint?: string;
  redirectUri?: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(em: MicrosoftEmulator, p: AuthorizeParams = {}): string {
  const url = new URL(em.authorizeUrl(p.tenant));
  const params: Record<string, string | undefined> = {
    client_id: em.clientId,
    response_type: 'code',
    redirect_uri: p.redirectUri ?? REDIRECT_URI,
    scope: p.scope ?? MAIL_SCOPES,
    state: p.state ?? 'st-1',
    nonce: p.nonce,
    code_challenge: p.challenge,
    code_challenge_method: p.challenge ? 'S256' : undefined,
    login_hint: p.loginHint,
    ...p.extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** Follows one authorize request; returns the redirect's query (or the page when there is none). */
export async function authorize(em: MicrosoftEmulator, p: AuthorizeParams = {}): Promise<{ status: number; query: URLSearchParams; html: string }> {
  const res = await fetch(authorizeUrl(em, p), { redirect: 'manual' });
  const location = res.headers.get('location');
  const html = await res.text();
  return { status: res.status, query: location ? new URL(location).searchParams : new URLSearchParams(), html };
}

export async function tokenRequest(em: MicrosoftEmulator, form: Record<string, string>, tenant = 'common'): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(em.tokenUrl(tenant), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: em.clientId, client_secret: em.clientSecret, ...form }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export function refresh(em: MicrosoftEmulator, refreshToken: string, scope?: string) {
  return tokenRequest(em, { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope ? { scope } : {}) });
}

export async function introspect(em: MicrosoftEmulator, token: string, url = em.introspectionUrl): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Signs in through authorize + code redemption with PKCE; returns the token response. */
export async function signIn(em: MicrosoftEmulator, p: AuthorizeParams = {}) {
  const { verifier, challenge } = pkcePair();
  const { query } = await authorize(em, { ...p, challenge });
  const code = query.get('code');
  if (!code) throw new Error(`authorize gave no code: ${query.get('error')}`);
  return tokenRequest(em, { grant_type: 'authorization_code', code, redirect_uri: p.redirectUri ?? REDIRECT_URI, code_verifier: verifier }, p.tenant);
}
