// Records that a mailbox is in use without putting a database write on the hot path: at most
// one fire-and-forget write per credential per interval, per process.
export class UsageStamps {
  private readonly lastWritten = new Map<string, number>();

  constructor(
    private readonly options: {
      clock: () => number;
      intervalMs: number;
      write: (credentialId: string, at: number) => Promise<void>;
      onError: (credentialId: string) => void;
    },
  ) {}

  touch(credentialId: string): void {
    const now = this.options.clock();
    const last = this.lastWritten.get(credentialId);
    if (last !== undefined && now - last < this.options.intervalMs) return;
    this.lastWritten.delete(credentialId); // re-inserted last: the Map's order is recency
    this.lastWritten.set(credentialId, now);
    // Bounded memory: a process that has seen very many credentials forgets the oldest stamps
    // (Map keeps insertion order), at worst writing one of them again.
    if (this.lastWritten.size > 50_000) {
      const oldest = this.lastWritten.keys().next().value;
      if (oldest !== undefined) this.lastWritten.delete(oldest);
    }
    this.options.write(credentialId, now).catch(() => this.options.onError(credentialId));
  }
}
