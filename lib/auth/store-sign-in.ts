// Signing in with Microsoft connects that mailbox: the grant next-auth just received is stored
// through the token layer (refresh token sealed in the database, IMAP access token cached).
// Signing in again updates the same credential and clears needs_reauth.
import type { Account, User } from 'next-auth';
import { childLogger } from '../log';
import { SIGN_IN_SCOPES } from '../microsoft';
import { connectMicrosoftMailbox } from '../mail/connect-microsoft-mailbox';
import { identityFromVerifiedIdToken } from './claims';
import { AuthFlowError } from './errors';
import { MICROSOFT_PROVIDER_ID } from './provider';

const log = childLogger('auth');

export type StoreGrant = typeof connectMicrosoftMailbox;

export async function storeSignInGrant(
  input: { user: Pick<User, 'id'>; account: Account | null },
  store: StoreGrant = connectMicrosoftMailbox,
): Promise<string | null> {
  const { user, account } = input;
  if (!account || account.provider !== MICROSOFT_PROVIDER_ID) return null;
  // The provider's token request verified this id token moments ago in this same request.
  const identity = account.id_token ? identityFromVerifiedIdToken(account.id_token) : null;
  if (!identity) throw new AuthFlowError('identity_incomplete');
  if (!account.refresh_token) throw new AuthFlowError('no_refresh_token');
  const credentialId = await store({
    userId: user.id,
    email: identity.email,
    providerAccountId: identity.oid,
    tenantId: identity.tid,
    refreshToken: account.refresh_token,
    grantedScopes: SIGN_IN_SCOPES,
    ...(account.access_token && account.expires_at
      ? { accessToken: { resource: 'imap' as const, accessToken: account.access_token, expiresAt: account.expires_at * 1000 } }
      : {}),
  });
  log.info({ userId: user.id, credentialId, outcome: 'signed_in_mailbox_stored' }, 'sign-in connected the mailbox');
  return credentialId;
}
