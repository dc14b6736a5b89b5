// A sync in progress is never started twice: a run claims the link with a compare-and-set lease
// in the database (free, or expired), proves it still holds the lease in every transaction that
// writes sync state, and releases it with an owner check. A crashed worker's lease simply expires.
import type { DbTransaction, OneDriveLink, PrismaClient } from '../db';
import { LeaseLostError } from './errors';
import type { EventOutbox, WebhookEventInput } from '../webhooks';

export type ClaimResult =
  | { kind: 'claimed'; link: OneDriveLink }
  | { kind: 'not_found' }
  | { kind: 'busy' }
  /** The link or its credential needs re-authorization: no token is even asked for. */
  | { kind: 'paused' };

export async function claimLink(
  db: PrismaClient,
  input: { linkId: string; owner: string; now: number; leaseMs: number },
): Promise<ClaimResult> {
  const now = new Date(input.now);
  const { count } = await db.oneDriveLink.updateMany({
    where: {
      id: input.linkId,
      status: { not: 'needs_reauth' },
      credential: { status: { not: 'needs_reauth' } },
      OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
    },
    data: { leaseOwner: input.owner, leaseUntil: new Date(input.now + input.leaseMs), status: 'syncing' },
  });
  // Re-read after acquiring: the row as it is now that nobody else can change it.
  const link = await db.oneDriveLink.findUnique({ where: { id: input.linkId }, include: { credential: { select: { status: true } } } });
  if (!link) return { kind: 'not_found' };
  if (count === 1 && link.leaseOwner === input.owner) {
    const { credential: _credential, ...row } = link;
    return { kind: 'claimed', link: row };
  }
  if (link.status === 'needs_reauth' || link.credential.status === 'needs_reauth') {
    if (link.status !== 'needs_reauth') {
      await db.oneDriveLink.updateMany({ where: { id: link.id, status: { not: 'syncing' } }, data: { status: 'needs_reauth' } });
    }
    return { kind: 'paused' };
  }
  return { kind: 'busy' };
}

export class Lease {
  private renewedAt: number;

  constructor(
    private readonly db: PrismaClient,
    readonly linkId: string,
    readonly owner: string,
    private readonly leaseMs: number,
    private readonly clock: () => number,
  ) {
    this.renewedAt = clock();
  }

  /** Inside a transaction: proves ownership (locking the link row) and extends the lease. */
  async check(tx: DbTransaction | PrismaClient): Promise<void> {
    const now = this.clock();
    const { count } = await tx.oneDriveLink.updateMany({
      where: { id: this.linkId, leaseOwner: this.owner },
      data: { leaseUntil: new Date(now + this.leaseMs) },
    });
    if (count !== 1) throw new LeaseLostError();
    this.renewedAt = now;
  }

  /** Between transactions (before each download attempt): renews once a third of the lease has gone by. */
  async keepAlive(): Promise<void> {
    if (this.clock() - this.renewedAt >= this.leaseMs / 3) await this.check(this.db);
  }

  /**
   * Ends the run: writes the outcome and frees the link, only if the lease is still ours. An
   * operator event, when given, is written in the same transaction (and only if it was ours).
   */
  async release(
    data: Parameters<PrismaClient['oneDriveLink']['updateMany']>[0]['data'],
    event?: { outbox: EventOutbox; event: WebhookEventInput },
  ): Promise<boolean> {
    const write = async (tx: DbTransaction | PrismaClient) => {
      const { count } = await tx.oneDriveLink.updateMany({
        where: { id: this.linkId, leaseOwner: this.owner },
        data: { ...data, leaseOwner: null, leaseUntil: null },
      });
      if (count === 1 && event) await event.outbox.record(tx, event.event);
      return count === 1;
    };
    return event ? this.db.$transaction(write) : write(this.db);
  }

  /**
   * Shutdown: frees the link for another instance at once, due again now. The checkpoint
   * (nextLink, pending items) stays as the last committed page left it; this run's later writes
   * fail their lease check, so the next run resumes exactly there.
   */
  async handBack(): Promise<boolean> {
    return this.release({ status: 'idle', nextSyncAt: new Date(this.clock()) });
  }
}
