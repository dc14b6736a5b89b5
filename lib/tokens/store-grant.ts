// Stores what a Microsoft sign-in or mailbox connection returned: the refresh token (sealed,
// bound to the credential row) and the first IMAP access token. Signing in again updates the
// same credential, bumps its token version and clears needs_reauth.
import { randomUUID } from 'node:crypto';
import type { Cache } from '../cache/types';
import type { TokenDb } from './db-types';
import { AccessTokenCache } from './access-token-cache';
import { accessTokenAad, cacheAad, refreshTokenAad, type SecretBox } from '../crypto';
import type { FreshToken, TokenResource } from './types';
import type { Logger } from 'pino';
import { reconnectedEvent, type EventOutbox } from '../webhooks';

export interface StoreGrantInput {
  db: TokenDb;
  cache: Cache;
  secrets: SecretBox;
  logger: Logger;
  skewSeconds: number;
  userId: string;
  email: string;
  providerAccountId: string;
  tenantId: string;
  refreshToken: string;
  /** Scopes consented so far in this flow; merged with what the credential had. */
  grantedScopes: readonly string[];
  accessToken?: FreshToken & { resource: TokenResource };
  now?: number;
  /** Operator events: `mailbox.reconnected` when a credential that needed re-authorization gets a grant. */
  outbox?: EventOutbox;
}

/** Returns the credential id. */
export async function storeGrant(input: StoreGrantInput): Promise<string> {
  const now = new Date(input.now ?? Date.now());
  const email = input.email.toLowerCase();
  const credentialId = await input.db.$transaction(async (tx) => {
    const existing = await tx.mailCredential.findUnique({
      where: { userId_email: { userId: input.userId, email } },
      select: { id: true, grantedScopes: true, authType: true, status: true },
    });
    const id = existing?.id ?? randomUUID();
    const scopes = mergeScopes(existing?.grantedScopes ?? '', input.grantedScopes);
    const sealedRefresh = input.secrets.seal(input.refreshToken, refreshTokenAad(id));
    const fields = {
      authType: 'oauth2' as const,
      status: 'active' as const,
      providerAccountId: input.providerAccountId,
      tenantId: input.tenantId,
      grantedScopes: scopes,
      refreshTokenSealed: sealedRefresh,
      refreshTokenIssuedAt: now,
      lastRefreshAt: now,
      failureCount: 0,
      nextRetryAt: null,
      lastError: null,
      // A password mailbox at the same address becomes an OAuth one.
      passwordSealed: null,
      smtpPasswordSealed: null,
    };
    const row = existing
      ? await tx.mailCredential.update({ where: { id }, data: { ...fields, tokenVersion: { increment: 1 } }, select: { tokenVersion: true } })
      : await tx.mailCredential.create({ data: { id, userId: input.userId, email, ...fields, tokenVersion: 1 }, select: { tokenVersion: true } });
    // Written with the grant: a reconnect that commits always reports, one that fails never does.
    if (existing && existing.status !== 'active' && input.outbox) {
      await input.outbox.record(tx, reconnectedEvent({ credentialId: id, email, tokenVersion: row.tokenVersion, previousStatus: existing.status }));
    }
    // Access tokens minted from the previous grant are dropped; the new one (if any) replaces them.
    await tx.accessToken.deleteMany({ where: { credentialId: id } });
    if (input.accessToken) {
      const { resource, accessToken, expiresAt } = input.accessToken;
      await tx.accessToken.create({
        data: {
          credentialId: id,
          resource,
          tokenSealed: input.secrets.seal(accessToken, accessTokenAad(id, resource)),
          expiresAt: new Date(expiresAt),
          tokenVersion: row.tokenVersion,
        },
      });
    }
    return id;
  });

  const cache = new AccessTokenCache(input.cache, input.secrets, input.logger);
  await cache.deleteAll(credentialId);
  if (input.accessToken) {
    const { resource, accessToken, expiresAt } = input.accessToken;
    await cache.replace(credentialId, resource, { accessToken, expiresAt }, input.skewSeconds * 1000);
  }
  input.logger.info({ credentialId, outcome: 'grant_stored' }, 'mailbox credential stored');
  return credentialId;
}

export function mergeScopes(existing: string, added: readonly string[]): string {
  const all = new Set([...existing.split(' '), ...added].filter(Boolean));
  return [...all].sort().join(' ');
}
