// The cache contract shared by Redis and the in-process fallback. A cache never throws to its
// caller: Redis is an accelerator, never a dependency (SPEC §5.3). When it is down, reads miss,
// writes are dropped, and lock attempts report "not acquired".

export type CacheHealth = 'ok' | 'down' | 'memory';

export interface Cache {
  readonly kind: 'redis' | 'memory';
  /** Value, or null on a miss or when the cache is unavailable. */
  get(key: string): Promise<string | null>;
  /** Store with a time to live in milliseconds (must be > 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** SET NX PX: true when this call stored the value. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Delete only while the key still holds `value` (lock release with an owner check). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  health(): Promise<CacheHealth>;
  /**
   * Sends a message to every listener of the channel: this process's at once (before the call
   * returns), other instances' through Redis pub/sub. Never throws; a message Redis could not
   * take is made up for by telling every instance, once Redis is back, that messages were lost.
   */
  publish(channel: string, message: string): Promise<void>;
  /** Listens on a channel until the returned function is called. */
  subscribe(channel: string, listener: ChannelListener): () => void;
  close(): Promise<void>;
}

export interface ChannelListener {
  message(message: string): void;
  /**
   * false: messages from other instances may be missed from now on (subscriber disconnected,
   * Redis failing); true: they arrive again. Called once at subscribe with the current state.
   */
  live(isLive: boolean): void;
  /** Messages were lost (a gap in the subscription, or an instance could not publish). */
  lost(): void;
}
