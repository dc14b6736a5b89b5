// The in-process cache for a single instance without Redis. Same contract as Redis: TTLs in
// milliseconds, SET NX semantics, owner-checked delete.
import { normalizeTtl } from './ttl';
import type { Cache, ChannelListener } from './types';

interface Entry {
  value: string;
  expiresAt: number;
}

export interface MemoryCacheOptions {
  now?: () => number;
  /** Expired entries are swept after this many writes, so memory stays bounded by live keys. */
  sweepEvery?: number;
}

export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const now = options.now ?? Date.now;
  const sweepEvery = options.sweepEvery ?? 1000;
  const entries = new Map<string, Entry>();
  // One instance: every listener is local, always live.
  const channels = new Map<string, Set<ChannelListener>>();
  let writes = 0;

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function store(key: string, value: string, ttl: number): void {
    entries.set(key, { value, expiresAt: now() + ttl });
    if (++writes % sweepEvery === 0) {
      const t = now();
      for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
    }
  }

  return {
    kind: 'memory',
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, ttlMs) {
      const ttl = normalizeTtl(ttlMs);
      if (ttl === 0) entries.delete(key);
      else store(key, value, ttl);
    },
    async del(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async setIfAbsent(key, value, ttlMs) {
      const ttl = normalizeTtl(ttlMs);
      if (ttl === 0 || live(key) !== undefined) return false;
      store(key, value, ttl);
      return true;
    },
    async deleteIfEquals(key, value) {
      if (live(key)?.value !== value) return false;
      entries.delete(key);
      return true;
    },
    async health() {
      return 'memory';
    },
    async publish(channel, message) {
      for (const listener of channels.get(channel) ?? []) listener.message(message);
    },
    subscribe(channel, listener) {
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(listener);
      listener.live(true);
      return () => void set.delete(listener);
    },
    async close() {
      entries.clear();
    },
  };
}
