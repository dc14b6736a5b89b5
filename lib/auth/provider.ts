// next-auth's Microsoft provider, as data. Endpoints come from configuration, never discovery on
// login.microsoftonline.com: next-auth v4 only fills in the multi-tenant issuer `{tenantid}` on
// that host, so the code is redeemed here and the id token is checked by lib/microsoft's
// verifyIdToken (issuer from the token's `tid`; signature, audience, expiry and nonce checked).
import type { OAuthConfig } from 'next-auth/providers/oauth';
import type { TokenSet } from 'next-auth';
import { SIGN_IN_SCOPES, verifyIdToken } from '../microsoft';
import { identityFromClaims } from './claims';
import { AuthFlowError } from './errors';
import { identityClientFor, type MicrosoftSettings } from './microsoft';

export const MICROSOFT_PROVIDER_ID = 'microsoft';

export type MicrosoftClaims = Record<string, unknown>;

interface CallbackChecks {
  state?: string;
  nonce?: string;
  code_verifier?: string;
}

export interface ProviderOptions {
  /**
   * Link a sign-in to an existing user with the same address. Only for the local sandbox: its
   * emulator mints new object ids on every restart, and its users are not real people.
   */
  linkByEmail?: boolean;
}

export function microsoftProvider(settings: MicrosoftSettings, options: ProviderOptions = {}): OAuthConfig<MicrosoftClaims> {
  const identity = identityClientFor(settings);
  return {
    ...(options.linkByEmail ? { allowDangerousEmailAccountLinking: true } : {}),
    id: MICROSOFT_PROVIDER_ID,
    name: 'Microsoft',
    type: 'oauth',
    clientId: settings.clientId,
    // No client secret for next-auth: it never calls the token endpoint itself (token.request
    // below goes through the app's identity client, whatever credential it uses).
    // Only openid-client's bookkeeping sees this; validation happens in verifyIdToken.
    issuer: `${settings.authorityHost}/${settings.tenant}/v2.0`,
    checks: ['pkce', 'state', 'nonce'],
    idToken: true,
    authorization: {
      url: settings.endpoints.authorize,
      params: { scope: SIGN_IN_SCOPES.join(' '), response_mode: 'query' },
    },
    token: {
      url: settings.endpoints.token,
      async request({ params, checks, provider }) {
        const expected = checks as CallbackChecks;
        // next-auth only reads the state cookie; comparing it is this handler's job.
        if (!params.state || !expected.state || params.state !== expected.state) throw new AuthFlowError('state_mismatch');
        if (!params.code) throw new AuthFlowError('missing_code');
        if (!expected.code_verifier || !expected.nonce) throw new AuthFlowError('missing_checks');
        const tokens = await identity.redeemCode({
          code: params.code,
          redirectUri: provider.callbackUrl,
          codeVerifier: expected.code_verifier,
          scopes: SIGN_IN_SCOPES,
        });
        if (!tokens.idToken) throw new AuthFlowError('no_id_token');
        try {
          await verifyIdToken({
            idToken: tokens.idToken,
            metadataUrl: settings.endpoints.metadata,
            clientId: settings.clientId,
            nonce: expected.nonce,
          });
        } catch {
          throw new AuthFlowError('id_token_invalid');
        }
        const set: TokenSet = {
          access_token: tokens.accessToken,
          id_token: tokens.idToken,
          token_type: 'Bearer',
          scope: tokens.scope,
          expires_at: Math.floor(tokens.expiresAt / 1000),
          ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
        };
        return { tokens: set };
      },
    },
    // No Graph call (AzureADProvider fetches a photo): the access token is for IMAP, not Graph.
    profile(claims) {
      const who = identityFromClaims(claims);
      if (!who) throw new AuthFlowError('identity_incomplete');
      return { id: who.oid, name: who.name, email: who.email, image: null };
    },
    style: { logo: '', bg: '#2f2f2f', text: '#ffffff' },
  };
}
