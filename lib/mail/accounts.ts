// Shared by the mail verbs: finding a caller's own mailbox, and its public shape (SPEC §4).
// Ownership is part of the query, so another user's mailbox is simply not found.
import type { CredentialStatus, MailCredential, PrismaClient } from '../db';
import { AppError } from '../errors';
import { toImapAccount, type ImapAccountRow } from '../imap/account-loader';
import type { ImapAccount } from '../imap/types';
import type { MailContext } from './context';

/**
 * A disconnected mailbox keeps its row (OneDrive links may still point at it and show that it
 * needs re-authorization) but loses its secrets and is marked with this code. Signing in to it
 * again (storeGrant) clears the mark.
 */
export const DISCONNECTED = 'disconnected';

// `lastError <> 'disconnected'` alone would also drop rows whose lastError is NULL (SQL).
export const connectedWhere = { OR: [{ lastError: null }, { lastError: { not: DISCONNECTED } }] };

export interface AccountSummary {
  id: string;
  email: string;
  authType: 'oauth2' | 'password';
  status: 'active' | 'needs_reauth' | 'error';
  lastRefreshAt: string | null;
}

export const summarySelect = { id: true, email: true, authType: true, status: true, lastRefreshAt: true } as const;

export function toAccountSummary(row: Pick<MailCredential, 'id' | 'email' | 'authType' | 'status' | 'lastRefreshAt'>): AccountSummary {
  return {
    id: row.id,
    email: row.email,
    authType: row.authType,
    status: row.status,
    lastRefreshAt: row.lastRefreshAt?.toISOString() ?? null,
  };
}

/** The caller's connected mailbox as a `where`; an id that cannot be one is not_found at once. */
function ownedWhere(options: { userId: string; accountId: string }) {
  const { userId, accountId } = options;
  if (typeof accountId !== 'string' || accountId.length === 0 || accountId.length > 100) throw new AppError('not_found', 'No such mailbox');
  return { id: accountId, userId, ...connectedWhere };
}

/** The caller's connected mailbox, or not_found (also for another user's). */
export async function findOwnedAccount(db: PrismaClient, options: { userId: string; accountId: string }) {
  const row = await db.mailCredential.findFirst({ where: ownedWhere(options), select: { id: true, status: true, authType: true } });
  if (!row) throw new AppError('not_found', 'No such mailbox');
  return row;
}

/**
 * The caller's mailbox, ready for IMAP: needs_reauth ones are refused without trying. One query
 * checks ownership and loads what a session login needs, so a cold session costs no second one.
 * Raw SQL because it runs on every mail request and Prisma's own work per query (~0.3 ms of CPU
 * more than `$queryRaw`, measured) competes with imapflow's parsing on the same thread; the
 * columns are IMAP_ACCOUNT_SELECT's, and tests/mail/find-usable-account.test.ts holds it to the
 * account loader on both databases.
 */
export async function findUsableAccount(ctx: Pick<MailContext, 'db' | 'secrets'>, options: { userId: string; accountId: string }): Promise<ImapAccount> {
  const { id, userId } = ownedWhere(options);
  const [row] = await ctx.db.$queryRaw<Array<ImapAccountRow & { status: CredentialStatus }>>`
    SELECT "id", "email", "authType"::text AS "authType", "status"::text AS "status", "imapHost", "imapPort", "imapSecure", "imapUsername", "passwordSealed"
    FROM "MailCredential"
    WHERE "id" = ${id} AND "userId" = ${userId} AND ("lastError" IS NULL OR "lastError" <> ${DISCONNECTED})`;
  if (!row) throw new AppError('not_found', 'No such mailbox');
  if (row.status === 'needs_reauth') throw new AppError('needs_reauth', 'The mailbox must be reconnected by its owner');
  return toImapAccount(row, ctx.secrets);
}
