// The refresh half of a cron run: claim due credentials, refresh each through the token layer,
// count outcomes, stop everything when the app's own client credential is broken, report a
// tenant (or credential) paused once and carry on with the rest, release each claim when done.
import type { Logger } from 'pino';
import type { PrismaClient } from '../db';
import type { TokenService } from '../tokens';
import { claimDueCredentials, type ClaimedCredential } from './claim-due-credentials';
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
  concurrency: number;
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
}

const DAY_MS = 86_400_000;
const PROGRESS_EVERY_MS = 5_000;

export async function refreshDueCredentials(options: RefreshDueCredentialsOptions): Promise<RefreshDueCredentialsResult> {
  const { db, tokens, logger: log, clock, owner, stop } = options;
  const counts = { refreshed: 0, failed: 0, needsReauth: 0 };
  let lastProgress = clock();

  const handle = async (credential: ClaimedCredential) => {
    const now = clock();
    const outcome = await refreshCredential({
      tokens,
      credential,
      warmWindowSeconds: options.warmWindowSeconds,
      idleBefore: now - options.idleDays * DAY_MS,
    });
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
    await releaseCredentialClaims({ db, owner, ids: [credential.id] }).catch((error: unknown) => {
      log.warn({ credentialId: credential.id, err: error instanceof Error ? error.name : 'unknown' }, 'cron claim release failed; it will expire');
    });
    if (clock() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = clock();
      log.info({ phase: 'refresh', ...counts }, 'cron progress');
    }
  };

  const result = await runClaimed<ClaimedCredential>({
    claim: (limit) => {
      const now = clock();
      return claimDueCredentials({
        db,
        owner,
        now,
        limit,
        leaseMs: options.leaseMs,
        warmBefore: now + options.warmWindowSeconds * 1000,
        activeSince: now - options.warmActiveHours * 3_600_000,
        idleBefore: now - options.idleDays * DAY_MS,
        // A paused tenant's credentials stay due; claiming them again would only crowd out others.
        excludeTenants: [...stop.pausedTenants],
      });
    },
    handle,
    key: (c) => c.id,
    release: (items) => releaseCredentialClaims({ db, owner, ids: items.map((c) => c.id) }),
    concurrency: options.concurrency,
    batchSize: options.batchSize,
    deadline: options.deadline,
    drainDeadline: options.drainDeadline,
    clock,
    shouldStop: () => stop.reason !== null,
  });
  return { ...counts, more: !result.exhausted, abandoned: result.abandoned, claimed: result.started };
}
