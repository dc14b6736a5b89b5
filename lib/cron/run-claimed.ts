// The cron's work loop, shared by refreshes and syncs: claim a capped batch, run it with bounded
// concurrency, claim the next batch while the last items of this one are still running, and stop
// starting work at the deadline or when told to. Claimed items that never started are released
// at once for the next run; items still running at the drain deadline are abandoned to their
// leases (their writes are compare-and-set, so finishing late loses nothing).
import pLimit from 'p-limit';

export interface RunClaimedOptions<T> {
  claim(limit: number): Promise<T[]>;
  /** Must not throw: outcomes are the caller's to count. */
  handle(item: T): Promise<void>;
  /** Identity of an item: one that comes due again within the same run is not run twice. */
  key(item: T): string;
  release(items: T[]): Promise<void>;
  /** Items in flight; a function is asked again before every claim (the cron adapts it). */
  concurrency: number | (() => number);
  /** Items per claim; keeps at most about concurrency + batchSize items claimed at once. */
  batchSize: number;
  /** Epoch ms after which nothing new starts. */
  deadline: number;
  /** Epoch ms after which the run stops waiting for items in flight. */
  drainDeadline: number;
  clock: () => number;
  shouldStop(): boolean;
}

export interface RunClaimedResult {
  started: number;
  /** A claim came back empty: nothing due was left when the run stopped. */
  exhausted: boolean;
  released: number;
  /** Still running when the drain deadline passed. */
  abandoned: number;
}

export async function runClaimed<T>(options: RunClaimedOptions<T>): Promise<RunClaimedResult> {
  const { clock, deadline } = options;
  const concurrency = typeof options.concurrency === 'function' ? options.concurrency : () => options.concurrency as number;
  const limit = pLimit(Math.max(1, concurrency()));
  const waiting = new Set<T>();
  const queued = new Set<Promise<void>>();
  const active = new Set<Promise<void>>();
  const halted = () => options.shouldStop() || clock() >= deadline;
  const seen = new Set<string>();
  let started = 0;
  let exhausted = false;

  const start = async (item: T) => {
    // Checked when the slot frees, not when queued: the deadline may have passed meanwhile.
    if (halted()) return;
    waiting.delete(item);
    started += 1;
    const work: Promise<void> = options
      .handle(item)
      .catch(() => undefined)
      .then(() => {
        active.delete(work);
      });
    active.add(work);
    await work;
  };

  try {
    while (!halted()) {
      if (limit.pendingCount > 0) {
        // Bounded by the deadline too: items stuck in flight must not keep the loop from stopping.
        await within(Promise.race(queued), deadline - clock());
        continue;
      }
      limit.concurrency = Math.max(1, concurrency());
      const claimed = await options.claim(options.batchSize);
      // E.g. a token minted with a lifetime shorter than the warm window is due again at once;
      // running it again in this run would only hammer the upstream.
      const repeats = claimed.filter((item) => seen.has(options.key(item)));
      if (repeats.length > 0) await options.release(repeats);
      const batch = claimed.filter((item) => !seen.has(options.key(item)));
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      for (const item of batch) {
        seen.add(options.key(item));
        waiting.add(item);
        const task = limit(start, item);
        queued.add(task);
        void task.finally(() => queued.delete(task));
      }
    }
  } finally {
    // Also when a claim failed: what was claimed is finished or handed back, never stranded.
    // Queued tasks dropped here never settle; only those already running are waited for.
    limit.clearQueue();
    await within(Promise.allSettled(active), options.drainDeadline - clock());
    await options.release([...waiting]);
  }
  return { started, exhausted, released: waiting.size, abandoned: active.size };
}

/** Waits for `promise`, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
