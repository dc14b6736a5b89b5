// The process's shutdown sequence: end live-update streams (logging out their IDLE sessions), stop new work, let refreshes in flight finish (or hand back
// their leases), log out pooled IMAP sessions, close Redis and the database. Installed once per
// process from instrumentation.ts; only services this process actually created are touched.
import { closeCache } from '../cache';
import { closeDb } from '../db';
import { closeMailWatchers, shutdownImap } from '../imap/runtime';
import { childLogger } from '../log';
import { shutdownTelemetry } from '../telemetry';
import { existingTokenService } from '../tokens';
import { runShutdownHooks } from './hooks';
import { installShutdown, runShutdown, type ShutdownStep } from './sequence';

/** The process exits within this long after SIGTERM/SIGINT. */
export const SHUTDOWN_BOUND_MS = 10_000;
/** How long refreshes in flight may take to finish before their leases are released. */
const DRAIN_MS = 5_000;

const log = childLogger('shutdown');
const holder = globalThis as typeof globalThis & { __mailbridgeShutdownInstalled?: boolean };

export function shutdownSteps(): ShutdownStep[] {
  return [
    // First: open event streams end (so `next start` is not left waiting for them) and their IDLE
    // sessions log out before the token layer stops refreshing for reconnects.
    { name: 'close_live_updates', run: closeMailWatchers, timeoutMs: 2_500 },
    {
      name: 'stop_new_refreshes',
      run: async () => (await existingTokenService())?.beginShutdown(),
      timeoutMs: 1_000,
    },
    {
      // Cron runs start nothing new and hand back their credential and link claims; OneDrive
      // syncs hand back their lease (checkpoint kept, due again at once). Their later writes fail
      // the owner check, so nothing half-done is committed, and another instance resumes at once.
      name: 'release_work_claims',
      run: async () => {
        const { ran, failed } = await runShutdownHooks();
        log.info({ released: ran, ...(Object.keys(failed).length > 0 ? { failed } : {}) }, 'work claims released');
      },
      timeoutMs: 2_000,
    },
    {
      name: 'drain_refreshes',
      run: async () => {
        const tokens = await existingTokenService();
        if (tokens && !(await tokens.drain(DRAIN_MS))) log.warn({ drainMs: DRAIN_MS }, 'refreshes still running; releasing their leases');
      },
      timeoutMs: DRAIN_MS + 500,
    },
    {
      name: 'release_refresh_leases',
      run: async () => {
        const released = (await (await existingTokenService())?.releaseHeldLeases()) ?? 0;
        if (released > 0) log.info({ released }, 'refresh leases released');
      },
      timeoutMs: 2_000,
    },
    { name: 'imap_logout', run: shutdownImap, timeoutMs: 3_000 },
    // Metrics and spans still pending go out before the database (read by a gauge) closes.
    { name: 'flush_telemetry', run: shutdownTelemetry, timeoutMs: 1_500 },
    { name: 'close_cache', run: closeCache, timeoutMs: 1_000 },
    { name: 'close_db', run: closeDb, timeoutMs: 2_000 },
  ];
}

export function installProcessShutdown(): void {
  if (holder.__mailbridgeShutdownInstalled) return;
  holder.__mailbridgeShutdownInstalled = true;
  installShutdown({
    proc: process as unknown as Parameters<typeof installShutdown>[0]['proc'],
    // The sequence keeps a little of the bound for the exit itself.
    run: () => runShutdown({ steps: shutdownSteps(), boundMs: SHUTDOWN_BOUND_MS - 500, logger: log }),
    boundMs: SHUTDOWN_BOUND_MS,
    logger: log,
  });
}
