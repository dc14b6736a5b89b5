// A tiny circuit breaker. One failed call opens it: for `openMs` every call skips Redis and
// takes its fallback at no cost. Then one call is let through as a probe (half-open); its
// success closes the circuit, its failure opens it for another period. This bounds what a dead
// or hanging Redis costs: at most one caller per period pays one bounded wait.

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitOptions {
  openMs: number;
  now?: () => number;
  /** Called once when the circuit leaves `closed` (Redis went away). */
  onOpen?: (reason: unknown) => void;
  /** Called once when a probe closes the circuit again (Redis is back). */
  onClose?: () => void;
}

export class Circuit {
  private current: CircuitState = 'closed';
  private openUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: CircuitOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** True when this call may use Redis. In half-open only the single probe gets true. */
  tryPass(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && this.now() >= this.openUntil) {
      this.current = 'half-open';
      return true;
    }
    return false;
  }

  succeeded(): void {
    // A straggler that started before the circuit opened proves nothing about Redis now; only a
    // success while half-open (the probe, or a call finishing alongside it) closes the circuit.
    if (this.current !== 'half-open') return;
    this.current = 'closed';
    this.options.onClose?.();
  }

  failed(reason: unknown): void {
    const wasClosed = this.current === 'closed';
    this.current = 'open';
    this.openUntil = this.now() + this.options.openMs;
    if (wasClosed) this.options.onOpen?.(reason);
  }

  /** The connection came back on its own: let the next call probe without waiting out the period. */
  probeSoon(): void {
    if (this.current === 'open') this.openUntil = 0;
  }
}
