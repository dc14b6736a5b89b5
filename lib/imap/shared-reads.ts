// Identical reads of one mailbox that arrive together share one IMAP round: the first caller's
// read is joined by every caller with the same key until that read sends its first command (it
// got a session). A caller arriving after that starts, or joins, the next read, so nobody is
// answered from a view of the mailbox taken before their request arrived. Keys name a credential
// (one mailbox of one user); ownership is checked by each caller before it gets here.

export class SharedReads {
  /** Reads that have not yet started talking to the server, by key. */
  private readonly waiting = new Map<string, Promise<unknown>>();

  /**
   * @param copy gives each joining caller its own copy of the result, so one caller changing
   * what it got cannot change another's answer (default: structuredClone).
   */
  constructor(private readonly copy: <T>(value: T) => T = structuredClone) {}

  /**
   * Runs `read`, or joins an identical one still waiting for its session. `read` calls
   * `started()` once it holds a session, just before its first IMAP command; from then on new
   * callers are not joined to it. A failure reaches every caller that joined.
   */
  run<T>(key: string, read: (started: () => void) => Promise<T>): Promise<T> {
    const pending = this.waiting.get(key) as Promise<T> | undefined;
    if (pending) return pending.then((value) => this.copy(value));
    const flight: { promise?: Promise<T>; open: boolean } = { open: true };
    const started = () => {
      if (!flight.open) return;
      flight.open = false;
      if (flight.promise && this.waiting.get(key) === flight.promise) this.waiting.delete(key);
    };
    const promise = Promise.resolve()
      .then(() => read(started))
      .finally(started);
    flight.promise = promise;
    if (flight.open) this.waiting.set(key, promise);
    return promise;
  }

  /** Keys with a read waiting to start (for tests and stats). */
  get size(): number {
    return this.waiting.size;
  }
}
