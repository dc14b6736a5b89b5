// The sync half of a cron run: claim due OneDrive links and run each through the sync engine,
// which takes the link's own lease, honours the deadline by checkpointing, and schedules the
// link's next run (interval, backoff, needs_reauth) itself. A failure of the app's own client
// credential stops the run as in the refresh half, and a tenant (or credential) paused is reported
// by its scope; the engine reports every token failure alike, so they are recognised here, where
// the cron hands the engine its token source.
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import type { PrismaClient } from '../db';
import { RefreshFailedError, type PauseScope, type TokenService } from '../tokens';
import { claimDueLinks, type ClaimedLink } from './claim-due-links';
import { releaseLinkClaims } from './release-link-claims';
import { runClaimed } from './run-claimed';
import { reportPause, stopOnAppFailure } from './stop-on-app-failure';
import type { StopSignal } from './types';

/** What the cron needs of `syncOneDriveLink` (lib/onedrive), injected so tests can stand in. */
export type SyncLink = (options: {
  db: PrismaClient;
  linkId: string;
  getGraphToken: (options?: { rejectedToken?: string }) => Promise<string>;
  cache: Cache;
  clock?: () => number;
  logger?: Logger;
  deadline?: number;
}) => Promise<{ outcome: string; more: boolean; error?: string }>;

export interface SyncDueLinksOptions {
  db: PrismaClient;
  tokens: TokenService;
  cache: Cache;
  syncLink: SyncLink;
  logger: Logger;
  clock: () => number;
  owner: string;
  concurrency: number;
  leaseMs: number;
  deadline: number;
  drainDeadline: number;
  stop: StopSignal;
}

export interface SyncDueLinksResult {
  run: number;
  failed: number;
  /** Syncs cut short by the deadline; each resumes from its checkpoint next time. */
  partial: number;
  more: boolean;
  abandoned: number;
  /** Links claimed and started in this run. */
  claimed: number;
}

/** Outcomes where the engine did not even start: another worker has it, or it is paused. */
const NOT_STARTED = new Set(['busy', 'paused', 'not_found']);
const FAILED = new Set(['error', 'needs_reauth', 'lease_lost']);

export async function syncDueLinks(options: SyncDueLinksOptions): Promise<SyncDueLinksResult> {
  const { db, tokens, logger: log, clock, owner } = options;
  const counts = { run: 0, failed: 0, partial: 0 };

  const handle = async (link: ClaimedLink) => {
    let outcome: string;
    let appFailure: string | undefined;
    let pausedBy: { paused: PauseScope; code: string } | undefined;
    // The link's Graph token comes from its mailbox credential's refresh token.
    const getGraphToken = async (opts?: { rejectedToken?: string }) => {
      try {
        return (await tokens.ensureFreshToken(link.credentialId, 'graph', { ...opts, background: true })).accessToken;
      } catch (error) {
        if (error instanceof RefreshFailedError && error.paused) {
          if (error.paused.scope === 'all') appFailure ??= error.classification.code;
          else pausedBy ??= { paused: error.paused, code: error.classification.code };
        }
        throw error;
      }
    };
    try {
      const result = await options.syncLink({
        db,
        linkId: link.id,
        getGraphToken,
        cache: options.cache,
        clock,
        logger: log,
        deadline: options.deadline,
      });
      outcome = result.outcome;
      if (result.more) counts.partial += 1;
    } catch (error) {
      outcome = 'error';
      log.error({ linkId: link.id, err: error instanceof Error ? error.name : 'unknown' }, 'onedrive sync threw');
    }
    if (!NOT_STARTED.has(outcome)) counts.run += 1;
    // Not the link's fault and not countable per link: the run stops here, once.
    if (appFailure !== undefined) stopOnAppFailure({ stop: options.stop, code: appFailure, log, item: { linkId: link.id } });
    else {
      if (FAILED.has(outcome) || pausedBy !== undefined) counts.failed += 1;
      // Its tenant (or its credential) is paused: reported once, the run goes on with the rest.
      if (pausedBy !== undefined) reportPause({ stop: options.stop, ...pausedBy, log, item: { linkId: link.id } });
    }
    log.debug({ linkId: link.id, credentialId: link.credentialId, outcome }, 'cron sync');
    await releaseLinkClaims({ db, owner, ids: [link.id] }).catch(() => undefined);
  };

  const result = await runClaimed<ClaimedLink>({
    claim: (limit) => claimDueLinks({ db, owner, now: clock(), limit, leaseMs: options.leaseMs }),
    handle,
    key: (l) => l.id,
    release: (items) => releaseLinkClaims({ db, owner, ids: items.map((l) => l.id) }),
    concurrency: options.concurrency,
    batchSize: options.concurrency,
    deadline: options.deadline,
    drainDeadline: options.drainDeadline,
    clock,
    shouldStop: () => options.stop.reason !== null,
  });
  return { ...counts, more: !result.exhausted || counts.partial > 0, abandoned: result.abandoned, claimed: result.started };
}
