// Injected throttling: the next `times` matching requests answer 429/503 with Retry-After, and any
// request that arrives before that window has passed is throttled again and counted as "early",
// so tests can prove a client honoured Retry-After.
export type ThrottleTarget = 'graph' | 'download' | 'all';

export interface ThrottleOptions {
  status: 429 | 503;
  retryAfterSeconds: number;
  times: number;
  /** Which requests it applies to; default 'graph' (API calls, not downloads). */
  target?: ThrottleTarget;
}

export interface ThrottleDecision {
  status: 429 | 503;
  retryAfterSeconds: number;
  early: boolean;
}

interface Rule extends Required<ThrottleOptions> {}

export class Throttler {
  private rules: Rule[] = [];
  private window: { until: number; status: 429 | 503; target: ThrottleTarget } | null = null;

  add(options: ThrottleOptions): void {
    if (options.times <= 0) return;
    this.rules.push({ target: 'graph', ...options });
  }

  clear(): void {
    this.rules = [];
    this.window = null;
  }

  check(kind: 'graph' | 'download', now: number): ThrottleDecision | null {
    const applies = (target: ThrottleTarget) => target === 'all' || target === kind;
    if (this.window && now < this.window.until && applies(this.window.target)) {
      return { status: this.window.status, retryAfterSeconds: Math.ceil((this.window.until - now) / 1000), early: true };
    }
    const rule = this.rules.find((r) => r.times > 0 && applies(r.target));
    if (!rule) return null;
    rule.times--;
    this.rules = this.rules.filter((r) => r.times > 0);
    this.window = { until: now + rule.retryAfterSeconds * 1000, status: rule.status, target: rule.target };
    return { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds, early: false };
  }
}
