// How many refreshes a cron run keeps in flight, from what it has to do and how long one takes
// (pure). Little's law: work in flight = rate × time per item. The rate that finishes the due
// backlog inside what is left of the budget, times the observed time one refresh holds a slot
// (token endpoint plus its two statements), with headroom for jitter, bounded both ways: at
// least `min` so a small backlog still moves, at most `max` so Microsoft's token endpoint (and
// the database pool) never see more than the operator allows.

export interface ChooseConcurrencyInput {
  /** Credentials still due and not yet started in this run. */
  remaining: number;
  /** Milliseconds left before the run stops starting work. */
  remainingMs: number;
  /** Observed milliseconds one refresh holds its slot; undefined before the first finishes. */
  latencyMs: number | undefined;
  min: number;
  max: number;
}

/** Assumed before anything was measured: Microsoft's token endpoint is typically 100–300 ms. */
export const ASSUMED_LATENCY_MS = 250;
/** Aim to finish with a fifth of the budget to spare: latency varies, and syncs share the run. */
const HEADROOM = 1.25;

export function chooseConcurrency(input: ChooseConcurrencyInput): number {
  const max = Math.max(1, Math.floor(input.max));
  const min = Math.min(max, Math.max(1, Math.floor(input.min)));
  if (input.remaining <= 0) return min;
  // Out of time: whatever can still start should start at once.
  if (input.remainingMs <= 0) return max;
  const latencyMs = input.latencyMs !== undefined && input.latencyMs > 0 ? input.latencyMs : ASSUMED_LATENCY_MS;
  const ratePerMs = input.remaining / input.remainingMs;
  const wanted = Math.ceil(ratePerMs * latencyMs * HEADROOM);
  // Never more in flight than there is work.
  return Math.max(min, Math.min(max, wanted, Math.ceil(input.remaining)));
}

/**
 * Time per refresh, smoothed: an exponentially weighted mean, so one slow refresh moves it a
 * little and a changed endpoint moves it within a few dozen refreshes.
 */
export class LatencyEstimate {
  private mean: number | undefined;
  constructor(private readonly weight = 0.1) {}

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.mean = this.mean === undefined ? ms : this.mean + this.weight * (ms - this.mean);
  }

  get value(): number | undefined {
    return this.mean;
  }
}
