// The Microsoft identity platform's token endpoint, spoken directly (form POST, RFC 6749).
// MSAL keeps rotated refresh tokens inside its own serialized cache and never hands them back,
// which would make "commit the rotated refresh token before use" impossible; this client returns
// every field of the response so the token layer owns persistence.
import { BrandedError } from '../errors';
import { z } from 'zod';
import type { TokenResource } from '../tokens/types';
import { classifyNetworkFailure, classifyTokenFailure, parseRetryAfter, type Classification } from './classify';
import {
  clientAuthenticationParams,
  credentialOrder,
  rejectsClientCredential,
  type ClientCredential,
  type ClientCredentialId,
  type ClientCredentialMemory,
} from './client-credentials';
import { microsoftEndpoints } from './endpoints';
import { refreshScopesFor } from './scopes';

export interface IdentityClientConfig {
  authorityHost: string;
  tenant: string;
  clientId: string;
  /** Shorthand for one secret credential (`credentials: [{ id: 'secret', kind: 'secret', … }]`). */
  clientSecret?: string;
  /**
   * The app's credentials, in order of preference. A request Microsoft answers with a rejection
   * of the credential itself (AADSTS7000222 expired, 7000215 wrong, an assertion refused) is sent
   * again with the next one; the one that worked is tried first from then on.
   */
  credentials?: readonly ClientCredential[];
  /** Where the credential that last worked is remembered (share one per process). */
  credentialMemory?: ClientCredentialMemory;
  /** Told when Microsoft refused one credential and another is tried (never a secret value). */
  onCredentialRejected?: (event: { credential: ClientCredentialId; code: string; next: ClientCredentialId }) => void;
  /** Told when a different credential than before starts working. */
  onCredentialSelected?: (event: { credential: ClientCredentialId; previous: ClientCredentialId | undefined }) => void;
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
  const credentials: readonly ClientCredential[] =
    config.credentials ?? (config.clientSecret ? [{ id: 'secret', kind: 'secret', secret: config.clientSecret }] : []);
  if (credentials.length === 0) throw new TypeError('createIdentityClient needs a client secret or certificate credential');
  const memory: ClientCredentialMemory = config.credentialMemory ?? {};

  /**
   * The one place the app authenticates itself to the token endpoint: every code redemption and
   * every refresh goes through here. Microsoft checks the client before the grant, so a refused
   * credential leaves the code or refresh token unspent and the next credential may present it.
   */
  async function requestToken(params: Record<string, string>): Promise<TokenSet> {
    const ordered = credentialOrder(credentials, memory.preferred);
    let firstRejection: TokenRequestError | undefined;
    for (const [i, credential] of ordered.entries()) {
      const auth = await clientAuthenticationParams(credential, { clientId: config.clientId, tokenEndpoint: endpoints.token, now: clock() });
      try {
        const tokens = await postToken({ ...params, ...auth });
        if (memory.preferred !== credential.id) {
          const previous = memory.preferred;
          memory.preferred = credential.id;
          config.onCredentialSelected?.({ credential: credential.id, previous });
        }
        return tokens;
      } catch (error) {
        const next = ordered[i + 1];
        if (!(error instanceof TokenRequestError) || !rejectsClientCredential(error.classification)) throw error;
        firstRejection ??= error;
        if (!next) break;
        config.onCredentialRejected?.({ credential: credential.id, code: error.classification.code, next: next.id });
      }
    }
    // None works: the operator alert (kind 'app') of the first, preferred credential.
    throw firstRejection!;
  }

  async function postToken(params: Record<string, string>): Promise<TokenSet> {
    const body = new URLSearchParams({ client_id: config.clientId, ...params });
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
