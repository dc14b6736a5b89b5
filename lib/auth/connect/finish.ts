// GET /api/mail/callback: finishes a connect flow. Nothing is stored unless the state matches
// the sealed pending flow of this very session's user and that flow was never used before;
// the id token is verified (issuer by tenant, audience, signature, expiry, nonce).
import { getSecretBox } from '../../crypto';
import { getDb, type PrismaClient } from '../../db';
import { getEnv, publicBaseUrl } from '../../env';
import { AppError, invalidRequest } from '../../errors';
import { childLogger } from '../../log';
import { SIGN_IN_SCOPES, TokenRequestError, verifyIdToken, type MicrosoftIdentity, type TokenSet } from '../../microsoft';
import { serializeCookie } from '../../http/cookies';
import { connectMicrosoftMailbox } from '../../mail/connect-microsoft-mailbox';
import { connectRedirectUri, identityClientFor, requireMicrosoftSettings, type MicrosoftSettings } from '../microsoft';
import { CONNECT_CALLBACK_PATH } from './start';
import { claimPending, CONNECT_COOKIE, openPending, sameSecret, type PendingConnect } from './pending';

const log = childLogger('auth');

export interface CallbackParams {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
}

/** `returnTo`: the same-site path the flow was started with, if any. */
export type ConnectOutcome = { kind: 'connected'; credentialId: string; returnTo?: string } | { kind: 'declined' };

export interface FinishMailConnectInput {
  userId: string;
  params: CallbackParams;
  /** The sealed pending flow from this browser's cookie. */
  cookie: string | undefined;
  db?: PrismaClient;
  now?: number;
}

export async function finishMailConnect(input: FinishMailConnectInput): Promise<ConnectOutcome> {
  const now = input.now ?? Date.now();
  const db = input.db ?? (await getDb());
  const pending = openPending(getSecretBox(), input.cookie, now);
  const state = input.params.state;
  if (!pending || !state || !sameSecret(pending.state, state) || pending.userId !== input.userId) {
    log.warn({ userId: input.userId, outcome: 'connect_rejected', reason: pending ? 'mismatch' : 'no_pending_flow' }, 'mailbox callback rejected');
    throw invalidRequest('This mailbox connection does not belong to your session. Start again from your mailboxes.');
  }
  if (!(await claimPending(db, pending, now))) {
    log.warn({ userId: input.userId, outcome: 'connect_rejected', reason: 'replayed_or_expired' }, 'mailbox callback rejected');
    throw invalidRequest('This mailbox connection was already used or has expired. Start again from your mailboxes.');
  }
  // Microsoft reports a refusal (e.g. consent declined) on the redirect itself.
  if (input.params.error !== undefined) return { kind: 'declined' };
  if (!input.params.code) throw invalidRequest('The callback carries no authorization code');

  const settings = requireMicrosoftSettings();
  const tokens = await redeem(settings, input.params.code, pending);
  const identity = await verify(settings, tokens, pending);
  if (!tokens.refreshToken) throw new AppError('upstream_unavailable', 'Microsoft did not grant offline access; try again');
  const credentialId = await connectMicrosoftMailbox({
    userId: input.userId,
    email: identity.email,
    providerAccountId: identity.oid,
    tenantId: identity.tid,
    refreshToken: tokens.refreshToken,
    grantedScopes: pending.scopes,
    accessToken: { resource: 'imap', accessToken: tokens.accessToken, expiresAt: tokens.expiresAt },
  });
  log.info({ userId: input.userId, credentialId, outcome: 'mailbox_connected' }, 'mailbox connected');
  return { kind: 'connected', credentialId, ...(pending.returnTo !== undefined ? { returnTo: pending.returnTo } : {}) };
}

/** Clears the pending-flow cookie once it has served. */
export function clearConnectCookie(): string {
  return serializeCookie(CONNECT_COOKIE, '', {
    path: CONNECT_CALLBACK_PATH,
    maxAgeSeconds: 0,
    secure: publicBaseUrl(getEnv()).startsWith('https://'),
  });
}

async function redeem(settings: MicrosoftSettings, code: string, pending: PendingConnect): Promise<TokenSet> {
  try {
    // One resource per token request: the code is redeemed for IMAP; Graph tokens come later
    // from the same refresh token (its consent is recorded in grantedScopes).
    return await identityClientFor(settings).redeemCode({
      code,
      redirectUri: connectRedirectUri(),
      codeVerifier: pending.verifier,
      scopes: SIGN_IN_SCOPES,
    });
  } catch (error) {
    if (!(error instanceof TokenRequestError)) throw error;
    const c = error.classification;
    log.warn({ userId: pending.userId, outcome: 'connect_redeem_failed', kind: c.kind, code: c.code }, 'mailbox code redemption failed');
    if (c.kind === 'transient' || c.kind === 'loop') {
      throw new AppError('upstream_unavailable', 'Microsoft is temporarily unavailable; try again shortly', c.retryAfterSeconds === undefined ? {} : { retryAfter: c.retryAfterSeconds });
    }
    throw invalidRequest('Microsoft did not accept this authorization. Start again from your mailboxes.');
  }
}

async function verify(settings: MicrosoftSettings, tokens: TokenSet, pending: PendingConnect): Promise<MicrosoftIdentity> {
  if (!tokens.idToken) throw invalidRequest('Microsoft returned no id token');
  try {
    return await verifyIdToken({
      idToken: tokens.idToken,
      metadataUrl: settings.endpoints.metadata,
      clientId: settings.clientId,
      nonce: pending.nonce,
    });
  } catch (error) {
    log.warn({ userId: pending.userId, outcome: 'connect_id_token_invalid', errName: error instanceof Error ? error.name : undefined }, 'id token rejected');
    throw invalidRequest('Microsoft’s answer could not be verified. Start again from your mailboxes.');
  }
}
