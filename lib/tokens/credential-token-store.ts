// The database side of the token layer: reads, the refresh lease, and compare-and-set writes.
import { Prisma } from '../db';
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

  /**
   * Takes the refresh lease when it is free and reads the state in one statement, returning the
   * state as of taking it (so no re-read is needed under the lease), or null when someone else
   * holds it, or the row is gone or not an OAuth credential (the caller reads to find out which).
   * Lease times come from the database's clock, so processes whose clocks disagree still agree on
   * when a lease has expired. Columns hold UTC timestamps without a zone, as Prisma writes them.
   */
  async acquireLeaseAndRead(credentialId: string, resource: TokenResource, owner: string, leaseMs: number): Promise<CredentialTokenState | null> {
    const rows = await this.db.$queryRaw<LeasedRow[]>`
      WITH leased AS (
        UPDATE "MailCredential"
        SET "refreshLeaseOwner" = ${owner},
            "refreshLeaseUntil" = (now() AT TIME ZONE 'UTC') + (${leaseMs}::int * interval '1 millisecond')
        WHERE id = ${credentialId}
          AND "authType" = 'oauth2'
          AND ("refreshLeaseUntil" IS NULL OR "refreshLeaseUntil" < (now() AT TIME ZONE 'UTC'))
        RETURNING id, "tenantId", status::text AS status, "tokenVersion", "failureCount", "lastError",
          "nextRetryAt", "lastRefreshAt", "refreshLeaseUntil", "refreshTokenSealed"
      )
      SELECT l."tenantId", l.status, l."tokenVersion", l."failureCount", l."lastError", l."refreshTokenSealed",
        ${epochMs(Prisma.sql`l."nextRetryAt"`)} AS "nextRetryAt",
        ${epochMs(Prisma.sql`l."lastRefreshAt"`)} AS "lastRefreshAt",
        ${epochMs(Prisma.sql`l."refreshLeaseUntil"`)} AS "leaseUntil",
        a."tokenSealed", ${epochMs(Prisma.sql`a."expiresAt"`)} AS "expiresAt"
      FROM leased AS l
      LEFT JOIN "AccessToken" AS a ON a."credentialId" = l.id AND a.resource = ${resource}`;
    const row = rows[0];
    if (!row) return null;
    return {
      credentialId,
      tenantId: row.tenantId ? row.tenantId.toLowerCase() : null,
      status: row.status,
      tokenVersion: row.tokenVersion,
      failureCount: row.failureCount,
      lastError: row.lastError,
      nextRetryAt: msOrNull(row.nextRetryAt),
      lastRefreshAt: msOrNull(row.lastRefreshAt),
      leaseUntil: msOrNull(row.leaseUntil),
      hasRefreshToken: row.refreshTokenSealed !== null,
      refreshTokenSealed: row.refreshTokenSealed,
      accessToken:
        row.tokenSealed === null || row.expiresAt === null
          ? null
          : this.openAccessToken(credentialId, resource, { tokenSealed: row.tokenSealed, expiresAt: new Date(Number(row.expiresAt)) }),
    };
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
   * Commits a refresh: the rotated refresh token and the new access token in one statement (so
   * one implicit transaction), only if nobody wrote a newer version meanwhile. False when
   * superseded. With `leaseOwner`, the same statement also hands back the refresh lease, if that
   * owner still holds it; when superseded the lease is left for the caller to release.
   */
  async commitRefresh(input: {
    state: CredentialTokenState;
    resource: TokenResource;
    accessToken: FreshToken;
    rotatedRefreshToken?: string;
    now: number;
    leaseOwner?: string;
  }): Promise<boolean> {
    const { state, resource, accessToken } = input;
    const id = state.credentialId;
    const nextVersion = state.tokenVersion + 1;
    const now = instant(input.now);
    const sealedRefresh = input.rotatedRefreshToken ? this.secrets.seal(input.rotatedRefreshToken, refreshTokenAad(id)) : null;
    const sealed = this.secrets.seal(accessToken.accessToken, accessTokenAad(id, resource));
    const owner = input.leaseOwner ?? null;
    const rows = await this.db.$queryRaw<{ credentialId: string }[]>`
      WITH committed AS (
        UPDATE "MailCredential"
        SET "tokenVersion" = ${nextVersion},
            "lastRefreshAt" = ${now},
            "failureCount" = 0,
            "nextRetryAt" = NULL,
            "lastError" = NULL,
            status = 'active',
            "refreshTokenSealed" = COALESCE(${sealedRefresh}::text, "refreshTokenSealed"),
            "refreshTokenIssuedAt" = CASE WHEN ${sealedRefresh}::text IS NULL THEN "refreshTokenIssuedAt" ELSE ${now} END,
            "refreshLeaseOwner" = CASE WHEN "refreshLeaseOwner" = ${owner}::text THEN NULL ELSE "refreshLeaseOwner" END,
            "refreshLeaseUntil" = CASE WHEN "refreshLeaseOwner" = ${owner}::text THEN NULL ELSE "refreshLeaseUntil" END,
            "updatedAt" = ${now}
        WHERE id = ${id} AND "tokenVersion" = ${state.tokenVersion}
        RETURNING id
      )
      INSERT INTO "AccessToken" ("credentialId", resource, "tokenSealed", "expiresAt", "tokenVersion", "updatedAt")
      SELECT committed.id, ${resource}, ${sealed}, ${instant(accessToken.expiresAt)}, ${nextVersion}, ${now} FROM committed
      ON CONFLICT ("credentialId", resource) DO UPDATE
      SET "tokenSealed" = EXCLUDED."tokenSealed", "expiresAt" = EXCLUDED."expiresAt",
          "tokenVersion" = EXCLUDED."tokenVersion", "updatedAt" = EXCLUDED."updatedAt"
      RETURNING "credentialId"`;
    return rows.length === 1;
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

interface LeasedRow {
  tenantId: string | null;
  status: CredentialTokenState['status'];
  tokenVersion: number;
  failureCount: number;
  lastError: string | null;
  refreshTokenSealed: string | null;
  nextRetryAt: number | null;
  lastRefreshAt: number | null;
  leaseUntil: number | null;
  tokenSealed: string | null;
  expiresAt: number | null;
}

// Columns hold UTC wall time in timestamp(3); binding epoch ms and converting in SQL keeps raw
// statements independent of the driver's Date binding and the session's time zone.
function instant(ms: number): Prisma.Sql {
  return Prisma.sql`(to_timestamp(${ms}::float8 / 1000) AT TIME ZONE 'UTC')`;
}

function epochMs(column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
}

function msOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(Number(value));
}
