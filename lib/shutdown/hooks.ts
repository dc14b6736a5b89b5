// Work this process holds that another instance could take over at once if it were handed back:
// OneDrive sync leases, cron claims. Whoever takes such a claim registers how to hand it back and
// unregisters when done; at SIGTERM the shutdown sequence runs what is still registered, so the
// claims are not left for their full lease time. Kept on globalThis: the production build has
// several copies of this module (one per route entry), and they must share one registry.
export interface ShutdownHook {
  /** For the log: what is handed back (`onedrive_lease`, `cron_claims`). */
  kind: string;
  run: () => Promise<void>;
}

const holder = globalThis as typeof globalThis & { __mailbridgeShutdownHooks?: Set<ShutdownHook>; __mailbridgeShuttingDown?: boolean };

function hooks(): Set<ShutdownHook> {
  holder.__mailbridgeShutdownHooks ??= new Set();
  return holder.__mailbridgeShutdownHooks;
}

/** Registers `run` to hand a claim back at shutdown; call the returned function once done with it. */
export function onShutdown(kind: string, run: () => Promise<void>): () => void {
  const hook: ShutdownHook = { kind, run };
  hooks().add(hook);
  return () => {
    hooks().delete(hook);
  };
}

/** True once the shutdown sequence has begun: background work starts nothing new. */
export function isShuttingDown(): boolean {
  return holder.__mailbridgeShuttingDown === true;
}

/** Runs every registered hook (each once, failures isolated); returns what ran and failed, by kind. */
export async function runShutdownHooks(): Promise<{ ran: Record<string, number>; failed: Record<string, number> }> {
  holder.__mailbridgeShuttingDown = true;
  const ran: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const pending = [...hooks()];
  hooks().clear();
  await Promise.all(
    pending.map(async (hook) => {
      try {
        await hook.run();
        ran[hook.kind] = (ran[hook.kind] ?? 0) + 1;
      } catch {
        failed[hook.kind] = (failed[hook.kind] ?? 0) + 1;
      }
    }),
  );
  return { ran, failed };
}

/** Tests only: forget the shutdown state of this process. */
export function resetShutdownHooks(): void {
  hooks().clear();
  holder.__mailbridgeShuttingDown = false;
}
