// When IMAP is turned off for a mailbox, the server rejects every token, however fresh. Without a
// memory of that, each request would refresh once and log in twice: a refresh per request, until
// Microsoft throttles the app. So once a force-refreshed token is rejected too, the credential
// cools down: for a minute, a rejected login fails at once instead of asking for another refresh.
// Per process, bounded: expired entries are pruned, and past `maxEntries` the oldest goes.

export interface RefreshCooldownOptions {
  windowMs?: number;
  maxEntries?: number;
  clock?: () => number;
}

export class RefreshCooldown {
  /** Credential id → end of its cooldown (epoch ms), in the order the cooldowns started. */
  private readonly until = new Map<string, number>();
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: RefreshCooldownOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.clock = options.clock ?? Date.now;
  }

  /** Whole seconds left of the credential's cooldown; 0 when it has none. */
  remainingSeconds(credentialId: string): number {
    const until = this.until.get(credentialId);
    if (until === undefined) return 0;
    const left = until - this.clock();
    if (left <= 0) {
      this.until.delete(credentialId);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  /** A freshly refreshed token was rejected as well: no other refresh for a while. */
  start(credentialId: string): number {
    const now = this.clock();
    this.until.delete(credentialId);
    this.until.set(credentialId, now + this.windowMs);
    this.prune(now);
    return Math.ceil(this.windowMs / 1000);
  }

  /** A login went through: the mailbox accepts tokens again. */
  clear(credentialId: string): void {
    this.until.delete(credentialId);
  }

  get size(): number {
    return this.until.size;
  }

  private prune(now: number): void {
    // Every entry lasts the same window, so insertion order is expiry order.
    for (const [id, until] of this.until) {
      if (until > now && this.until.size <= this.maxEntries) break;
      this.until.delete(id);
    }
  }
}
