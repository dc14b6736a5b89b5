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
  close(): Promise<void>;
}
