// The database side of the token layer: reads, the refresh lease, and compare-and-set writes.
import type { TokenDb } from './db-types';
import { accessTokenAad, cacheAad, refreshTokenAad, type SecretBox } from '../crypto';
import type { FreshToken, TokenResource } from './types';
import { needsReauthEvent, type EventOutbox } from '../webhooks';

export interface CredentialTokenState {
  credentialId: string;
  /** The Microsoft tenant (`tid`) the grant belongs to; null for rows stored without one. */
  tenantId: string | null;
  status: 'active' | 'needs_reauth' | 'error';
  tokenVersion: number;
  failureCount: number;
  lastError: string | null;
  nextRetryAt: number | null;
  lastRefreshAt: number | null;
  /** Until when another refresh holds the lease (database time), if anyone does. */
  leaseUntil: number | null;
  hasRefreshToken: boolean;
  refreshTokenSealed: string | null;
  accessToken: FreshToken | null;
}

export class CredentialTokenStore {
  constructor(
    private readonly db: TokenDb,
    private readonly secrets: SecretBox,
    /** Operator events (webhooks) go out with the changes that cause them; absent: none. */
    private readonly outbox?: EventOutbox,
  ) {}

  async read(credentialId: string, resource: TokenResource): Promise<CredentialTokenState> {
    const row = await this.db.mailCredential.findUnique({
      where: { id: credentialId },
      select: {
        id: true,
        authType: true,
        tenantId: true,
        status: true,
        tokenVersion: true,
        failureCount: true,
        lastError: true,
        nextRetryAt: true,
        lastRefreshAt: true,
        refreshLeaseUntil: true,
        refreshTokenSealed: true,
        accessTokens: { where: { resource }, select: { tokenSealed: true, expiresAt: true } },
      },
    });
    if (!row || row.authType !== 'oauth2') {
      // Deleted or disconnected meanwhile: nothing to refresh, the owner must reconnect.
      return {
        credentialId,
        tenantId: null,
        status: 'needs_reauth',
        tokenVersion: -1,
        failureCount: 0,
        lastError: 'disconnected',
        nextRetryAt: null,
        lastRefreshAt: null,
        leaseUntil: null,
        hasRefreshToken: false,
        refreshTokenSealed: null,
        accessToken: null,
      };
    }
    const stored = row.accessTokens[0];
    return {
      credentialId,
      // Tenant ids are GUIDs; Microsoft spells them in lower case, but compare them that way.
      tenantId: row.tenantId ? row.tenantId.toLowerCase() : null,
      status: row.status,
      tokenVersion: row.tokenVersion,
      failureCount: row.failureCount,
      lastError: row.lastError,
      nextRetryAt: row.nextRetryAt?.getTime() ?? null,
      lastRefreshAt: row.lastRefreshAt?.getTime() ?? null,
      leaseUntil: row.refreshLeaseUntil?.getTime() ?? null,
      hasRefreshToken: row.refreshTokenSealed !== null,
      refreshTokenSealed: row.refreshTokenSealed,
      accessToken: stored ? this.openAccessToken(credentialId, resource, stored) : null,
    };
  }

  openRefreshToken(state: CredentialTokenState): string {
    if (state.refreshTokenSealed === null) throw new Error('credential has no refresh token');
    return this.secrets.open(state.refreshTokenSealed, refreshTokenAad(state.credentialId));
  }

  // Lease times come from the database's clock, so processes whose clocks disagree still agree
  // on when a lease has expired. Columns hold UTC timestamps without a zone, as Prisma writes them.
  async acquireLease(credentialId: string, owner: string, leaseMs: number): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE "MailCredential"
      SET "refreshLeaseOwner" = ${owner},
          "refreshLeaseUntil" = (now() AT TIME ZONE 'UTC') + (${leaseMs}::int * interval '1 millisecond')
      WHERE id = ${credentialId}
        AND ("refreshLeaseUntil" IS NULL OR "refreshLeaseUntil" < (now() AT TIME ZONE 'UTC'))`;
    return count === 1;
  }

  /** Extends a lease this owner still holds; false when it was lost (expired and taken). */
  async renewLease(credentialId: string, owner: string, leaseMs: number): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE "MailCredential"
      SET "refreshLeaseUntil" = (now() AT TIME ZONE 'UTC') + (${leaseMs}::int * interval '1 millisecond')
      WHERE id = ${credentialId} AND "refreshLeaseOwner" = ${owner}`;
    return count === 1;
  }

  async releaseLease(credentialId: string, owner: string): Promise<void> {
    await this.db.mailCredential.updateMany({
      where: { id: credentialId, refreshLeaseOwner: owner },
      data: { refreshLeaseOwner: null, refreshLeaseUntil: null },
    });
  }

  /**
   * Commits a refresh: the rotated refresh token and the new access token in one transaction,
   * only if nobody wrote a newer version meanwhile. False when superseded.
   */
  async commitRefresh(input: {
    state: CredentialTokenState;
    resource: TokenResource;
    accessToken: FreshToken;
    rotatedRefreshToken?: string;
    now: number;
  }): Promise<boolean> {
    const { state, resource, accessToken } = input;
    const id = state.credentialId;
    const nextVersion = state.tokenVersion + 1;
    const now = new Date(input.now);
    return this.db.$transaction(async (tx) => {
      const { count } = await tx.mailCredential.updateMany({
        where: { id, tokenVersion: state.tokenVersion },
        data: {
          tokenVersion: nextVersion,
          lastRefreshAt: now,
          failureCount: 0,
          nextRetryAt: null,
          lastError: null,
          status: 'active',
          ...(input.rotatedRefreshToken
            ? { refreshTokenSealed: this.secrets.seal(input.rotatedRefreshToken, refreshTokenAad(id)), refreshTokenIssuedAt: now }
            : {}),
        },
      });
      if (count !== 1) return false;
      const sealed = this.secrets.seal(accessToken.accessToken, accessTokenAad(id, resource));
      const expiresAt = new Date(accessToken.expiresAt);
      await tx.accessToken.upsert({
        where: { credentialId_resource: { credentialId: id, resource } },
        create: { credentialId: id, resource, tokenSealed: sealed, expiresAt, tokenVersion: nextVersion },
        update: { tokenSealed: sealed, expiresAt, tokenVersion: nextVersion },
      });
      return true;
    });
  }

  /**
   * Marks the grant gone, unless a reconnect wrote a newer refresh token meanwhile. The
   * `mailbox.needs_reauth` event is written in the same transaction, once per token version.
   */
  async markNeedsReauth(input: { state: CredentialTokenState; code: string }): Promise<void> {
    const id = input.state.credentialId;
    const version = input.state.tokenVersion;
    await this.db.$transaction(async (tx) => {
      const { count } = await tx.mailCredential.updateMany({
        where: { id, tokenVersion: version },
        data: { status: 'needs_reauth', lastError: input.code, failureCount: { increment: 1 }, nextRetryAt: null },
      });
      await tx.accessToken.deleteMany({ where: { credentialId: id, tokenVersion: { lte: version } } });
      if (count === 1 && this.outbox) {
        const row = await tx.mailCredential.findUnique({ where: { id }, select: { email: true } });
        await this.outbox.record(tx, needsReauthEvent({ credentialId: id, email: row?.email ?? null, tokenVersion: version, code: input.code }));
      }
    });
  }

  async recordAccess(credentialId: string, at: number): Promise<void> {
    await this.db.mailCredential.updateMany({ where: { id: credentialId }, data: { lastAccessedAt: new Date(at) } });
  }

  /** Backs the credential off, unless it changed meanwhile (reconnected, disconnected). */
  async recordTransientFailure(input: { state: CredentialTokenState; code: string; nextRetryAt: number }): Promise<void> {
    await this.db.mailCredential.updateMany({
      where: { id: input.state.credentialId, tokenVersion: input.state.tokenVersion },
      data: { failureCount: { increment: 1 }, lastError: input.code, nextRetryAt: new Date(input.nextRetryAt) },
    });
  }

  private openAccessToken(
    credentialId: string,
    resource: TokenResource,
    stored: { tokenSealed: string; expiresAt: Date },
  ): FreshToken | null {
    try {
      return {
        accessToken: this.secrets.open(stored.tokenSealed, accessTokenAad(credentialId, resource)),
        expiresAt: stored.expiresAt.getTime(),
      };
    } catch {
      // Unreadable (e.g. its key was retired): refreshing replaces it.
      return null;
    }
  }
}
