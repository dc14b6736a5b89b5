// The sending side of the outbox, run by the cron. Due events are claimed with FOR UPDATE SKIP
// LOCKED plus a lease, so two concurrent runs never send the same event; each is POSTed signed,
// with a timeout, and its row records the result: delivered, tried again later (exponential
// backoff with jitter, honouring Retry-After), or dead after WEBHOOK_MAX_ATTEMPTS (kept for
// operators). Nothing starts past the deadline; claimed events not sent are handed back.
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { Prisma, type PrismaClient } from '../db';
import { sqlEpochMs, sqlInstant } from '../cron/sql-time';
import { parseRetryAfter, retryDelayMs } from './backoff';
import { webhookBody } from './events';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signWebhook } from './signature';

export interface DeliverWebhooksOptions {
  db: PrismaClient;
  url: string;
  secret: string;
  logger: Logger;
  /** Claim owner: unique per run. */
  owner: string;
  /** Epoch ms: no delivery starts after it. */
  deadline: number;
  maxAttempts: number;
  timeoutMs: number;
  clock?: () => number;
  random?: () => number;
  fetch?: typeof fetch;
  /** Events per claim (default 20) and sent at once (default 4). */
  batchSize?: number;
  concurrency?: number;
}

export interface DeliveryResult {
  delivered: number;
  /** Attempts that failed this run (including those that made an event dead). */
  failed: number;
  /** Events that reached their last attempt this run. */
  dead: number;
  /** Due events were left (the deadline came first). */
  more: boolean;
}

interface ClaimedEvent {
  id: string;
  type: string;
  data: unknown;
  createdAt: number;
  attempts: number;
}

type AttemptOutcome = { ok: true; status: number } | { ok: false; code: string; status?: number; retryAfterSeconds?: number };

/** Shortest time worth starting an attempt with before the deadline. */
const MIN_ATTEMPT_MS = 1_000;

export async function deliverWebhooks(options: DeliverWebhooksOptions): Promise<DeliveryResult> {
  const { db, owner, logger: log } = options;
  const clock = options.clock ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const batchSize = options.batchSize ?? 20;
  const limit = pLimit(options.concurrency ?? 4);
  // Long enough for the whole batch at its concurrency, so a slow receiver never lets the claim
  // lapse while this run still sends.
  const leaseMs = (Math.ceil(batchSize / (options.concurrency ?? 4)) + 1) * options.timeoutMs + 30_000;
  const result: DeliveryResult = { delivered: 0, failed: 0, dead: 0, more: false };

  const attempt = async (event: ClaimedEvent): Promise<AttemptOutcome> => {
    const body = webhookBody({ id: event.id, type: event.type, createdAt: new Date(event.createdAt), data: event.data });
    const timeoutMs = Math.min(options.timeoutMs, Math.max(MIN_ATTEMPT_MS, options.deadline - clock()));
    try {
      const response = await doFetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Mailbridge-Webhooks/1',
          [EVENT_ID_HEADER]: event.id,
          [EVENT_TYPE_HEADER]: event.type,
          // Signed at send time: each retry carries a fresh timestamp.
          [SIGNATURE_HEADER]: signWebhook(body, options.secret, clock() / 1000),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), clock());
      return { ok: false, code: `http_${response.status}`, status: response.status, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      return { ok: false, code: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network' };
    }
  };

  const send = async (event: ClaimedEvent): Promise<void> => {
    if (clock() + MIN_ATTEMPT_MS > options.deadline) {
      result.more = true;
      await handBack(db, owner, [event.id]);
      return;
    }
    const outcome = await attempt(event);
    const attempts = event.attempts + 1;
    const now = clock();
    if (outcome.ok) {
      await db.webhookEvent.updateMany({
        where: { id: event.id, leaseOwner: owner },
        data: { status: 'delivered', deliveredAt: new Date(now), attempts, lastError: null, leaseOwner: null, leaseUntil: null },
      });
      result.delivered += 1;
      log.info({ eventId: event.id, type: event.type, attempts, status: outcome.status, outcome: 'delivered' }, 'webhook delivered');
      return;
    }
    result.failed += 1;
    const dead = attempts >= options.maxAttempts;
    if (dead) result.dead += 1;
    const delayMs = retryDelayMs({
      attempts,
      ...(outcome.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: outcome.retryAfterSeconds }),
      ...(options.random ? { random: options.random } : {}),
    });
    await db.webhookEvent.updateMany({
      where: { id: event.id, leaseOwner: owner },
      data: {
        status: dead ? 'dead' : 'pending',
        attempts,
        lastError: outcome.code,
        nextAttemptAt: new Date(now + delayMs),
        leaseOwner: null,
        leaseUntil: null,
      },
    });
    const fields = { eventId: event.id, type: event.type, attempts, error: outcome.code, ...(dead ? {} : { retryInMs: delayMs }) };
    if (dead) log.error({ ...fields, outcome: 'dead', alert: 'operator' }, 'webhook undeliverable: gave up after the last attempt');
    else log.warn({ ...fields, outcome: 'retry' }, 'webhook delivery failed; will retry');
  };

  while (clock() + MIN_ATTEMPT_MS <= options.deadline) {
    const batch = await claimDueEvents({ db, owner, now: clock(), limit: batchSize, leaseMs });
    if (batch.length === 0) return result;
    await Promise.all(batch.map((event) => limit(send, event)));
    if (batch.length < batchSize) return result;
  }
  // Stopped by the deadline: is anything still due?
  const due = await db.webhookEvent.count({ where: { status: 'pending', nextAttemptAt: { lte: new Date(clock()) } } });
  if (due > 0) result.more = true;
  return result;
}

/** Claims due events oldest first; rows another run holds (locked or leased) are passed over. */
export async function claimDueEvents(input: { db: PrismaClient; owner: string; now: number; limit: number; leaseMs: number }): Promise<ClaimedEvent[]> {
  const { db, owner, now, limit, leaseMs } = input;
  const rows = await db.$queryRaw<Array<{ id: string; type: string; data: unknown; createdAt: number; attempts: number }>>`
    UPDATE "WebhookEvent" AS e
    SET "leaseOwner" = ${owner}, "leaseUntil" = ${sqlInstant(now + leaseMs)}
    WHERE e.id IN (
      SELECT w.id FROM "WebhookEvent" AS w
      WHERE w.status = 'pending'
        AND w."nextAttemptAt" <= ${sqlInstant(now)}
        AND (w."leaseUntil" IS NULL OR w."leaseUntil" < ${sqlInstant(now)})
      ORDER BY w."nextAttemptAt", w."createdAt"
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    AND (e."leaseUntil" IS NULL OR e."leaseUntil" < ${sqlInstant(now)})
    RETURNING e.id, e.type, e.data, ${sqlEpochMs(Prisma.sql`e."createdAt"`)} AS "createdAt", e.attempts`;
  return rows
    .map((r) => ({ id: r.id, type: r.type, data: r.data, createdAt: Number(r.createdAt), attempts: r.attempts }))
    .sort((a, b) => a.createdAt - b.createdAt);
}

async function handBack(db: PrismaClient, owner: string, ids: string[]): Promise<void> {
  await db.webhookEvent.updateMany({ where: { id: { in: ids }, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
}
