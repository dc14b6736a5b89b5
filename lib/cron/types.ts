// Shapes shared across the cron's parts.
import type { NearExpiry } from './find-near-expiry';

/** Set once by whichever item first finds the app registration broken; every phase checks it. */
export interface StopSignal {
  /** `shutdown`: the process got SIGTERM; nothing new starts and its claims are handed back. */
  reason: 'app_failure' | 'shutdown' | null;
  code?: string;
  /** Tenants and credentials already reported as paused in this run (`tenant:<id>`, `credential:<id>`). */
  reported: Set<string>;
  /** Tenants paused in this run: their remaining credentials are not claimed again in it. */
  pausedTenants: Set<string>;
}

/** SPEC §4's summary, plus what operators need to read a run. */
export interface CronSummary {
  refreshed: number;
  failed: number;
  needsReauth: number;
  syncs: { run: number; failed: number; more: number };
  durationMs: number;
  /** Due work was left: the budget ran out, or the run stopped. */
  more: boolean;
  /** Why the run stopped early, when it did. */
  stoppedBy: 'app_failure' | 'shutdown' | null;
  /** Items still running when the run returned; their leases expire. */
  abandoned: number;
  nearExpiry: NearExpiry;
  /** Operator webhooks sent this run: delivered, failed attempts, and events given up on (dead). */
  webhooks: { delivered: number; failed: number; dead: number };
}
