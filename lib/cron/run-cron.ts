// One cron run: proactive refreshes and due OneDrive syncs, side by side under one time budget.
// They run concurrently rather than one after the other so that a long refresh backlog cannot
// starve syncs (or the reverse). A failure of the app's own client credential stops both; one
// tenant refusing the app pauses that tenant's work only.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import type { PrismaClient } from '../db';
import type { TokenService } from '../tokens';
import { findNearExpiry, type NearExpiry } from './find-near-expiry';
import { refreshDueCredentials } from './refresh-due-credentials';
import { syncDueLinks, type SyncLink, type SyncDueLinksResult } from './sync-due-links';
import type { CronSummary, StopSignal } from './types';

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
  const stop: StopSignal = { reason: null, reported: new Set(), pausedTenants: new Set() };
  const maxConcurrency = options.concurrency ?? options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const minConcurrency = Math.min(maxConcurrency, options.minConcurrency ?? DEFAULT_MIN_CONCURRENCY);
  log.info({ budgetMs: options.budgetMs, concurrency: options.concurrency ?? 'auto', maxConcurrency }, 'cron run started');

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
    : Promise.resolve({ run: 0, failed: 0, partial: 0, more: false, abandoned: 0 });
  // Both halves finish (or hand their claims back) before the run answers, even if one failed.
  const [refreshed, synced] = await Promise.allSettled([refreshing, syncing]);
  if (refreshed.status === 'rejected') throw refreshed.reason;
  if (synced.status === 'rejected') throw synced.reason;
  const refresh = refreshed.value;
  const syncs = synced.value;

  const nearExpiry = await reportNearExpiry(options, clock(), log);
  const summary: CronSummary = {
    refreshed: refresh.refreshed,
    failed: refresh.failed,
    needsReauth: refresh.needsReauth,
    syncs: { run: syncs.run, failed: syncs.failed, more: syncs.partial },
    durationMs: clock() - started,
    more: refresh.more || syncs.more,
    stoppedBy: stop.reason,
    abandoned: refresh.abandoned + syncs.abandoned,
    nearExpiry,
  };
  log.info({ ...summary, nearExpiry: nearExpiry.count, concurrency: refresh.concurrency }, 'cron run finished');
  return summary;
}

async function reportNearExpiry(options: RunCronOptions, now: number, log: Logger): Promise<NearExpiry> {
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
