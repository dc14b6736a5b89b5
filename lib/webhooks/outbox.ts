// The writing side of the outbox. `record` runs inside the caller's transaction, next to the
// state change the event reports: both commit or neither does, so an event is never lost to a
// crash between the two, and the unique dedupe key (ON CONFLICT DO NOTHING) makes a second event
// for the same change impossible, however many processes race. Without WEBHOOK_URL there is no
// outbox at all (callers get `undefined`) and nothing is written.
import type { DbTransaction, PrismaClient } from '../db';
import type { WebhookEventInput } from './events';

export interface EventOutbox {
  /** Adds the event unless one with its dedupe key exists; true when it was added. */
  record(tx: DbTransaction | PrismaClient, event: WebhookEventInput): Promise<boolean>;
}

export function createOutbox(options: { clock?: () => number } = {}): EventOutbox {
  const clock = options.clock ?? Date.now;
  return {
    async record(tx, event) {
      const now = new Date(clock());
      const { count } = await tx.webhookEvent.createMany({
        data: [{ type: event.type, dedupeKey: event.dedupeKey, data: event.data, nextAttemptAt: now, createdAt: now }],
        skipDuplicates: true,
      });
      return count === 1;
    },
  };
}
