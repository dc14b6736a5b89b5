// GET /api/mail/connect: starts connecting another Microsoft mailbox (or reconnecting one, or
// adding OneDrive consent to it) for the signed-in user. Same scopes, PKCE and nonce as sign-in;
// the pending flow is bound to this user and usable once.
import { getSecretBox } from '../../crypto';
import { getDb, type PrismaClient } from '../../db';
import { getEnv, publicBaseUrl } from '../../env';
import { invalidRequest, notFound } from '../../errors';
import { createPkcePair, GRAPH_FILES_SCOPE, randomToken, SIGN_IN_SCOPES, SMTP_SCOPE } from '../../microsoft';
import { serializeCookie } from '../../http/cookies';
import { isSameSitePath } from '../../http/return-to';
import { connectRedirectUri, identityClientFor, requireMicrosoftSettings } from '../microsoft';
import { CONNECT_COOKIE, CONNECT_TTL_SECONDS, recordPending, sealPending, type PendingConnect } from './pending';

export const CONNECT_CALLBACK_PATH = '/api/mail/callback';

export interface StartMailConnectInput {
  userId: string;
  /** Also ask for Graph Files.Read.All (OneDrive sync): incremental consent. */
  files?: boolean;
  /** Also ask for SMTP.Send (sending mail): incremental consent. */
  send?: boolean;
  /** Reconnect (or extend consent for) this mailbox of the user: its address is the login hint. */
  accountId?: string;
  /** A same-site path the callback returns to once connected (default: the inbox). */
  returnTo?: string;
  db?: PrismaClient;
  now?: number;
}

export interface Redirect {
  location: string;
  setCookie: string;
}

export async function startMailConnect(input: StartMailConnectInput): Promise<Redirect> {
  if (input.returnTo !== undefined && !isSameSitePath(input.returnTo)) throw invalidRequest('returnTo: must be a path on this site');
  const settings = requireMicrosoftSettings();
  const db = input.db ?? (await getDb());
  const now = input.now ?? Date.now();
  const loginHint = input.accountId ? await mailboxAddress(db, input.userId, input.accountId) : undefined;
  const scopes = [...SIGN_IN_SCOPES, ...(input.send ? [SMTP_SCOPE] : []), ...(input.files ? [GRAPH_FILES_SCOPE] : [])];
  const { verifier, challenge } = createPkcePair();
  const pending: PendingConnect = {
    state: randomToken(),
    verifier,
    nonce: randomToken(),
    userId: input.userId,
    scopes,
    expiresAt: now + CONNECT_TTL_SECONDS * 1000,
    ...(input.returnTo !== undefined ? { returnTo: input.returnTo } : {}),
  };
  await recordPending(db, pending, now);
  const location = identityClientFor(settings).authorizationUrl({
    redirectUri: connectRedirectUri(),
    state: pending.state,
    codeChallenge: challenge,
    nonce: pending.nonce,
    scopes,
    // A new mailbox: let the person pick which account; a known one: go straight to it.
    ...(loginHint ? { loginHint } : { prompt: 'select_account' as const }),
  });
  const setCookie = serializeCookie(CONNECT_COOKIE, sealPending(getSecretBox(), pending), {
    path: CONNECT_CALLBACK_PATH,
    maxAgeSeconds: CONNECT_TTL_SECONDS,
    secure: publicBaseUrl(getEnv()).startsWith('https://'),
  });
  return { location, setCookie };
}

async function mailboxAddress(db: PrismaClient, userId: string, accountId: string): Promise<string> {
  // The owner is part of the query: another user's mailbox is simply not found.
  const row = await db.mailCredential.findFirst({ where: { id: accountId, userId }, select: { email: true } });
  if (!row) throw notFound('Mailbox not found');
  return row.email;
}
