// The refresh half of a cron run: claim due credentials, refresh each through the token layer,
// count outcomes, stop everything when the app's own client credential is broken, report a
// tenant (or credential) paused once and carry on with the rest, release claims when done.
//
// Round trips are the cost that grows with the backlog, so they are shared: claims are taken a
// batch per statement, finished claims are handed back a batch per statement (before the next
// claim, and at the end), and each refresh costs the token layer's two statements. Unless the
// operator fixed it, concurrency follows the backlog (counted once), what is left of the budget
// and the observed time per refresh (see concurrency.ts), up to `maxConcurrency`.
import type { Logger } from 'pino';
import type { PrismaClient } from '../db';
import type { TokenService } from '../tokens';
import { claimDueCredentials, type ClaimedCredential } from './claim-due-credentials';
import { chooseConcurrency, LatencyEstimate } from './concurrency';
import { countDueCredentials } from './count-due-credentials';
import { refreshCredential } from './refresh-credential';
import { releaseCredentialClaims } from './release-credential-claims';
import { runClaimed } from './run-claimed';
import { reportPause, stopOnAppFailure } from './stop-on-app-failure';
import type { StopSignal } from './types';

export interface RefreshDueCredentialsOptions {
  db: PrismaClient;
  tokens: TokenService;
  logger: Logger;
  clock: () => number;
  owner: string;
  /** Refreshes in flight, fixed by the operator; unset: chosen per batch, up to `maxConcurrency`. */
  concurrency?: number;
  maxConcurrency: number;
  /** Fewest refreshes in flight when the concurrency is chosen. */
  minConcurrency: number;
  batchSize: number;
  leaseMs: number;
  deadline: number;
  drainDeadline: number;
  warmWindowSeconds: number;
  /** Warm only mailboxes a person used within this many hours. */
  warmActiveHours: number;
  idleDays: number;
  nearExpiryDays: number;
  stop: StopSignal;
}

export interface RefreshDueCredentialsResult {
  refreshed: number;
  failed: number;
  needsReauth: number;
  more: boolean;
  abandoned: number;
  /** Credentials claimed and started in this run. */
  claimed: number;
  /** The concurrency used for the last batch (the fixed one, or the last chosen). */
  concurrency: number;
}

const DAY_MS = 86_400_000;
const PROGRESS_EVERY_MS = 5_000;
/** Counting stops here: a backlog this large runs at the bound anyway. */
const COUNT_CAP = 100_000;

export async function refreshDueCredentials(options: RefreshDueCredentialsOptions): Promise<RefreshDueCredentialsResult> {
  const { db, tokens, logger: log, clock, owner, stop } = options;
  const counts = { refreshed: 0, failed: 0, needsReauth: 0 };
  let lastProgress = clock();
  const criteria = (now: number) => ({
    now,
    warmBefore: now + options.warmWindowSeconds * 1000,
    activeSince: now - options.warmActiveHours * 3_600_000,
    idleBefore: now - options.idleDays * DAY_MS,
    // A paused tenant's credentials stay due; claiming them again would only crowd out others.
    excludeTenants: [...stop.pausedTenants],
  });

  const latency = new LatencyEstimate();
  let started = 0;
  let due = 0;
  if (options.concurrency === undefined) {
    due = await countDueCredentials({ db, cap: COUNT_CAP, ...criteria(clock()) }).catch((error: unknown) => {
      log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'could not count due credentials; assuming a full backlog');
      return COUNT_CAP;
    });
  }
  let concurrency = options.concurrency ?? options.minConcurrency;
  const chosen = () => {
    if (options.concurrency !== undefined) return options.concurrency;
    const next = chooseConcurrency({
      // Credentials that came due since the count still get done; the count only sets the pace.
      remaining: Math.max(due - started, 0),
      remainingMs: options.deadline - clock(),
      latencyMs: latency.value,
      min: options.minConcurrency,
      max: options.maxConcurrency,
    });
    if (next !== concurrency) log.debug({ concurrency: next, latencyMs: latency.value, remaining: due - started }, 'cron concurrency chosen');
    concurrency = next;
    return next;
  };

  // Finished claims, handed back a batch at a time. Until then they stay leased to this run,
  // which is harmless: a finished credential is not due, and nobody else may take it meanwhile.
  let finished: string[] = [];
  // After the last hand-back, a refresh that finishes late (past the drain) releases its own.
  let closed = false;
  const releaseFinished = async () => {
    const ids = finished;
    finished = [];
    await releaseCredentialClaims({ db, owner, ids }).catch((error: unknown) => {
      log.warn({ credentials: ids.length, err: error instanceof Error ? error.name : 'unknown' }, 'cron claim release failed; the claims will expire');
    });
  };

  const handle = async (credential: ClaimedCredential) => {
    const now = clock();
    started += 1;
    const outcome = await refreshCredential({
      tokens,
      credential,
      warmWindowSeconds: options.warmWindowSeconds,
      idleBefore: now - options.idleDays * DAY_MS,
    });
    latency.observe(clock() - now);
    if (outcome.kind === 'refreshed') counts.refreshed += 1;
    else if (outcome.kind === 'needs_reauth') counts.needsReauth += 1;
    else if (outcome.kind === 'failed') counts.failed += 1;
    else if (outcome.kind === 'paused') {
      // Its tenant (or it alone) is paused: it failed, the run goes on with everyone else.
      counts.failed += 1;
      reportPause({ stop, paused: outcome.paused, code: outcome.code, log, item: { credentialId: credential.id } });
    }
    // Not the credential's fault and not countable per credential: the run stops here, once.
    else stopOnAppFailure({ stop, code: outcome.code, log, item: { credentialId: credential.id } });
    const idleDays = Math.floor((now - credential.lastUsedAt) / DAY_MS);
    if (outcome.kind !== 'refreshed' && idleDays >= options.nearExpiryDays) {
      log.warn({ credentialId: credential.id, idleDays, outcome: outcome.kind, nearExpiry: true }, 'refresh token near its 90-day inactivity expiry and still not refreshed');
    } else {
      log.debug({ credentialId: credential.id, outcome: outcome.kind, resources: credential.warm, idle: credential.idle }, 'cron refresh');
    }
    finished.push(credential.id);
    if (closed) await releaseFinished();
    if (clock() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = clock();
      log.info({ phase: 'refresh', ...counts }, 'cron progress');
    }
  };

  const result = await runClaimed<ClaimedCredential>({
    claim: async (limit) => {
      if (finished.length > 0) await releaseFinished();
      return claimDueCredentials({ db, owner, limit, leaseMs: options.leaseMs, ...criteria(clock()) });
    },
    handle,
    key: (c) => c.id,
    release: (items) => releaseCredentialClaims({ db, owner, ids: items.map((c) => c.id) }),
    concurrency: chosen,
    batchSize: options.batchSize,
    deadline: options.deadline,
    drainDeadline: options.drainDeadline,
    clock,
    shouldStop: () => stop.reason !== null,
  });
  // Items abandoned at the drain deadline are still running: their claims expire on their own.
  closed = true;
  await releaseFinished();
  return { ...counts, more: !result.exhausted, abandoned: result.abandoned, concurrency, claimed: result.started };
}
