// Identical reads of one mailbox that arrive together share one IMAP round: the first caller's
// read is joined by every caller with the same key until that read sends its first command (it
// got a session). A caller arriving after that starts, or joins, the next read, so nobody is
// answered from a view of the mailbox taken before their request arrived. Keys name a credential
// (one mailbox of one user); ownership is checked by each caller before it gets here.

export class SharedReads {
  /** Reads that have not yet started talking to the server, by key. */
  private readonly waiting = new Map<string, Promise<unknown>>();


  /**
   * Runs `read`, or joins an identical one still waiting for its session. `read` calls
   * `started()` once it holds a session, just before its first IMAP command; from then on new
   * callers are not joined to it. The result (plain data) is deep-frozen; a failure reaches
   * every caller that joined.
   */
  run<T>(key: string, read: (started: () => void) => Promise<T>): Promise<T> {
    const pending = this.waiting.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const flight: { promise?: Promise<T>; open: boolean } = { open: true };
    const started = () => {
      if (!flight.open) return;
      flight.open = false;
      if (flight.promise && this.waiting.get(key) === flight.promise) this.waiting.delete(key);
    };
    // Every caller gets the same result, frozen: one caller changing what it got cannot change
    // another's answer (it throws instead), and no caller pays for a copy.
    const promise = Promise.resolve()
      .then(() => read(started))
      .then(deepFreeze)
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

/** Pure: freezes plain data (objects and arrays) all the way down, and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
