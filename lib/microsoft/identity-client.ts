// The Microsoft identity platform's token endpoint, spoken directly (form POST, RFC 6749).
// MSAL keeps rotated refresh tokens inside its own serialized cache and never hands them back,
// which would make "commit the rotated refresh token before use" impossible; this client returns
// every field of the response so the token layer owns persistence.
import { BrandedError } from '../errors';
import { z } from 'zod';
import type { TokenResource } from '../tokens/types';
import { classifyNetworkFailure, classifyTokenFailure, parseRetryAfter, type Classification } from './classify';
import { microsoftEndpoints } from './endpoints';
import { refreshScopesFor } from './scopes';

export interface IdentityClientConfig {
  authorityHost: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  clock?: () => number;
}

export interface TokenSet {
  accessToken: string;
  /** Present when Microsoft rotated it (always with offline_access). */
  refreshToken?: string;
  idToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope: string;
}

/** A token request that failed; `classification` says what to do about it. */
export class TokenRequestError extends BrandedError {
  static override readonly brand: string = 'mailbridge.TokenRequestError';
  constructor(readonly classification: Classification, readonly status: number | undefined) {
    // The message names only the classified code: Microsoft's description text can echo input.
    super(`Token request failed (${classification.kind}: ${classification.code})`);
    this.name = 'TokenRequestError';
  }
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  id_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().default(''),
  token_type: z.string().optional(),
});

const errorBody = z
  .object({
    error: z.string().optional(),
    suberror: z.string().optional(),
    error_codes: z.array(z.number()).optional(),
  })
  .loose();

export interface AuthorizationUrlInput {
  redirectUri: string;
  state: string;
  codeChallenge: string;
  nonce: string;
  scopes: readonly string[];
  loginHint?: string;
  prompt?: 'select_account' | 'consent' | 'login' | 'none';
}

export interface IdentityClient {
  readonly clientId: string;
  authorizationUrl(input: AuthorizationUrlInput): string;
  redeemCode(input: { code: string; redirectUri: string; codeVerifier: string; scopes: readonly string[] }): Promise<TokenSet>;
  refresh(input: { refreshToken: string; resource: TokenResource }): Promise<TokenSet>;
}

export function createIdentityClient(config: IdentityClientConfig): IdentityClient {
  const endpoints = microsoftEndpoints(config);
  const doFetch = config.fetch ?? fetch;
  const clock = config.clock ?? Date.now;
  const timeoutMs = config.timeoutMs ?? 10_000;

  async function requestToken(params: Record<string, string>): Promise<TokenSet> {
    const body = new URLSearchParams({ client_id: config.clientId, client_secret: config.clientSecret, ...params });
    let response: Response;
    let text: string;
    try {
      response = await doFetch(endpoints.token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new TokenRequestError(classifyNetworkFailure(error), undefined);
    }
    const json = safeJson(text);
    if (!response.ok) {
      const parsed = errorBody.safeParse(json);
      throw new TokenRequestError(
        classifyTokenFailure({
          status: response.status,
          body: parsed.success ? parsed.data : null,
          retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), clock()),
        }),
        response.status,
      );
    }
    const parsed = tokenResponse.safeParse(json);
    if (!parsed.success) {
      throw new TokenRequestError({ kind: 'transient', code: 'malformed_token_response' }, response.status);
    }
    const t = parsed.data;
    return {
      accessToken: t.access_token,
      ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
      ...(t.id_token ? { idToken: t.id_token } : {}),
      expiresAt: clock() + t.expires_in * 1000,
      scope: t.scope,
    };
  }

  return {
    clientId: config.clientId,
    authorizationUrl(input) {
      const url = new URL(endpoints.authorize);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        response_type: 'code',
        response_mode: 'query',
        redirect_uri: input.redirectUri,
        scope: input.scopes.join(' '),
        state: input.state,
        nonce: input.nonce,
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
        ...(input.loginHint ? { login_hint: input.loginHint } : {}),
        ...(input.prompt ? { prompt: input.prompt } : {}),
      }).toString();
      return url.toString();
    },
    redeemCode(input) {
      return requestToken({
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: input.redirectUri,
        code_verifier: input.codeVerifier,
        scope: input.scopes.join(' '),
      });
    },
    refresh(input) {
      return requestToken({
        grant_type: 'refresh_token',
        refresh_token: input.refreshToken,
        scope: refreshScopesFor(input.resource).join(' '),
      });
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
