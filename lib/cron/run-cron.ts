// One cron run: proactive refreshes and due OneDrive syncs, side by side under one time budget.
// They run concurrently rather than one after the other so that a long refresh backlog cannot
// starve syncs (or the reverse). A failure of the app's own client credential stops both; one
// tenant refusing the app pauses that tenant's work only.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import type { PrismaClient } from '../db';
import type { TokenService } from '../tokens';
import { isShuttingDown, onShutdown } from '../shutdown/hooks';
import { deliverWebhooks, type DeliveryResult, type EventOutbox } from '../webhooks';
import { recordNearExpiryEvents } from './record-near-expiry-events';
import { releaseAllClaims } from './release-all-claims';
import { findNearExpiry, type NearExpiry } from './find-near-expiry';
import { refreshDueCredentials } from './refresh-due-credentials';
import { syncDueLinks, type SyncLink, type SyncDueLinksResult } from './sync-due-links';
import type { CronSummary, StopSignal } from './types';
import { telemetry } from '../telemetry';

export interface RunCronOptions {
  db: PrismaClient;
  tokens: TokenService;
  cache: Cache;
  logger: Logger;
  clock?: () => number;
  /** `syncOneDriveLink`; without it the run only refreshes. */
  syncLink?: SyncLink;
  /** Nothing new starts after this long. */
  budgetMs: number;
  /** How long to wait past the budget for work in flight (default: a quarter of the budget, ≤ 10 s). */
  drainMs?: number;
  /**
   * Credentials refreshed at once, fixed. Unset (the default): chosen from the backlog, the
   * budget and the observed time per refresh, between `minConcurrency` and `maxConcurrency`.
   */
  concurrency?: number;
  /** Upper bound of the chosen concurrency (default 64). */
  maxConcurrency?: number;
  /** Lower bound of the chosen concurrency (default 4). */
  minConcurrency?: number;
  /** OneDrive syncs at once (default: a quarter of a fixed concurrency, else 4). */
  syncConcurrency?: number;
  /** Warm access tokens that expire within this many seconds. */
  warmWindowSeconds: number;
  warmActiveHours: number;
  /** Exercise refresh tokens unused for this many days. */
  idleDays: number;
  /** Report refresh tokens unused for this many days (Microsoft's cliff is 90). */
  nearExpiryDays: number;
  /** Credentials per claim (default: twice the (maximum) concurrency, at most 100). */
  batchSize?: number;
  /** Where operator events are written (`mailbox.near_expiry`); absent: webhooks are off. */
  outbox?: EventOutbox;
  /** Delivers the outbox's due events after the run's work; absent: webhooks are off. */
  webhooks?: { url: string; secret: string; maxAttempts: number; timeoutMs: number; fetch?: typeof fetch; random?: () => number };
}

const CREDENTIAL_LEASE_MS = 2 * 60_000;
const MAX_BATCH = 100;
export const DEFAULT_MAX_CONCURRENCY = 64;
export const DEFAULT_MIN_CONCURRENCY = 4;
const DEFAULT_SYNC_CONCURRENCY = 4;

export async function runCron(options: RunCronOptions): Promise<CronSummary> {
  const clock = options.clock ?? Date.now;
  const log = options.logger;
  const started = clock();
  const owner = `cron:${process.pid}:${randomUUID()}`;
  const deadline = started + options.budgetMs;
  const drainDeadline = deadline + (options.drainMs ?? Math.min(10_000, options.budgetMs / 4));
  const stop: StopSignal = { reason: isShuttingDown() ? 'shutdown' : null, reported: new Set(), pausedTenants: new Set() };
  const maxConcurrency = options.concurrency ?? options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const minConcurrency = Math.min(maxConcurrency, options.minConcurrency ?? DEFAULT_MIN_CONCURRENCY);
  log.info({ budgetMs: options.budgetMs, concurrency: options.concurrency ?? 'auto', maxConcurrency }, 'cron run started');
  // SIGTERM mid-run: start nothing new and hand back every claim at once, rather than leaving
  // them for their lease time (items in flight finish or fail their owner-checked writes).
  const unregister = onShutdown('cron_claims', async () => {
    stop.reason ??= 'shutdown';
    const released = await releaseAllClaims({ db: options.db, owner });
    log.info({ ...released, outcome: 'handed_back' }, 'cron claims released at shutdown');
  });
  try {
    return await runClaimedWork(options, { clock, log, started, owner, deadline, drainDeadline, stop, maxConcurrency, minConcurrency });
  } finally {
    unregister();
  }
}

interface RunState {
  clock: () => number;
  log: Logger;
  started: number;
  owner: string;
  deadline: number;
  drainDeadline: number;
  stop: StopSignal;
  maxConcurrency: number;
  minConcurrency: number;
}

async function runClaimedWork(options: RunCronOptions, run: RunState): Promise<CronSummary> {
  const { clock, log, started, owner, deadline, drainDeadline, stop, maxConcurrency, minConcurrency } = run;

  const refreshing = refreshDueCredentials({
    db: options.db,
    tokens: options.tokens,
    logger: log,
    clock,
    owner,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    maxConcurrency,
    minConcurrency,
    batchSize: Math.min(MAX_BATCH, options.batchSize ?? maxConcurrency * 2),
    leaseMs: CREDENTIAL_LEASE_MS,
    deadline,
    drainDeadline,
    warmWindowSeconds: options.warmWindowSeconds,
    warmActiveHours: options.warmActiveHours,
    idleDays: options.idleDays,
    nearExpiryDays: options.nearExpiryDays,
    stop,
  });
  const syncing: Promise<SyncDueLinksResult> = options.syncLink
    ? syncDueLinks({
        db: options.db,
        tokens: options.tokens,
        cache: options.cache,
        syncLink: options.syncLink,
        logger: log,
        clock,
        owner,
        concurrency:
          options.syncConcurrency ?? (options.concurrency === undefined ? DEFAULT_SYNC_CONCURRENCY : Math.max(1, Math.floor(options.concurrency / 4))),
        // A sync can use the whole run; the claim outlives it so no other run queues the link.
        leaseMs: drainDeadline - started + 60_000,
        deadline,
        drainDeadline,
        stop,
      })
    : Promise.resolve({ run: 0, failed: 0, partial: 0, more: false, abandoned: 0, claimed: 0 });
  // Both halves finish (or hand their claims back) before the run answers, even if one failed.
  const [refreshed, synced] = await Promise.allSettled([refreshing, syncing]);
  if (refreshed.status === 'rejected') throw refreshed.reason;
  if (synced.status === 'rejected') throw synced.reason;
  const refresh = refreshed.value;
  const syncs = synced.value;

  const nearExpiry = await reportNearExpiry(options, clock(), log);
  const webhooks = await sendWebhooks(options, run);
  const summary: CronSummary = {
    refreshed: refresh.refreshed,
    failed: refresh.failed,
    needsReauth: refresh.needsReauth,
    syncs: { run: syncs.run, failed: syncs.failed, more: syncs.partial },
    durationMs: clock() - started,
    more: refresh.more || syncs.more || webhooks.more,
    stoppedBy: stop.reason,
    abandoned: refresh.abandoned + syncs.abandoned,
    nearExpiry,
    webhooks: { delivered: webhooks.delivered, failed: webhooks.failed, dead: webhooks.dead },
  };
  telemetry.cronRun({ durationMs: summary.durationMs, more: summary.more, stoppedBy: summary.stoppedBy, claimed: { refresh: refresh.claimed, sync: syncs.claimed } });
  log.info({ ...summary, nearExpiry: nearExpiry.count, concurrency: refresh.concurrency }, 'cron run finished');
  return summary;
}

/**
 * Sends the outbox's due events (those this run just wrote among them) after the run's work,
 * until the drain deadline, and at least a short slice even when the work used the whole budget,
 * so a refresh backlog cannot starve the operator's alerts.
 */
async function sendWebhooks(options: RunCronOptions, run: RunState): Promise<DeliveryResult> {
  const none: DeliveryResult = { delivered: 0, failed: 0, dead: 0, more: false };
  if (!options.webhooks || run.stop.reason === 'shutdown') return none;
  const { fetch: fetchImpl, random, ...config } = options.webhooks;
  try {
    return await deliverWebhooks({
      db: options.db,
      ...config,
      logger: run.log,
      owner: run.owner,
      clock: run.clock,
      deadline: Math.max(run.drainDeadline, run.clock() + Math.min(5_000, options.budgetMs / 8)),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
      ...(random ? { random } : {}),
    });
  } catch (error) {
    // Events stay in the outbox (claims expire): the next run sends them.
    run.log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'webhook delivery failed');
    return { ...none, more: true };
  }
}

async function reportNearExpiry(options: RunCronOptions, now: number, log: Logger): Promise<NearExpiry> {
  if (options.outbox) {
    try {
      const added = await recordNearExpiryEvents({ db: options.db, now, days: options.nearExpiryDays });
      if (added > 0) log.info({ added }, 'near-expiry webhook events recorded');
    } catch (error) {
      log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'near-expiry events could not be recorded');
    }
  }
  try {
    const found = await findNearExpiry({ db: options.db, now, days: options.nearExpiryDays });
    if (found.count > 0) {
      log.warn(
        { nearExpiry: found.count, oldest: found.credentials },
        'refresh tokens near the 90-day inactivity expiry; their owners must reconnect if they keep failing',
      );
    }
    return found;
  } catch (error) {
    // A report must not fail a run whose work is done.
    log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'near-expiry report failed');
    return { count: 0, credentials: [] };
  }
}
