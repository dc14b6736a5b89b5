// The in-process (L1) cache of opened access tokens, in front of Redis. Pure: the clock comes in,
// invalidations are told to it (see AccessTokenCache and the cache's pub/sub channel).
//
// - Bounded: an LRU of at most `max` entries.
// - An entry never outlives its token's fresh window (expiry minus the refresh skew).
// - While invalidations from other instances may be missed (subscriber down, Redis failing), no
//   entry lives longer than `fallbackMs`: entries already held are cut down to that when the
//   channel goes quiet, and new ones get no more. When it is back, everything is dropped, because
//   messages in between were lost.
// - A value read before an invalidation never lands after it: callers take a ticket before
//   reading Redis or the database, and `set` refuses a ticket older than the last invalidation.
// - Only `{ accessToken, expiresAt }` is kept, copied: never a refresh token, whatever the caller's
//   object carries.
import { LRUCache } from 'lru-cache';
import { TOKEN_RESOURCES } from './cache-keys';
import type { FreshToken, TokenResource } from './types';

export interface L1Options {
  /** Most entries held (one per credential and resource). */
  max: number;
  /** Lifetime of an entry while invalidations may be missed. */
  fallbackMs: number;
  clock?: () => number;
}

export const L1_DEFAULTS: Readonly<Omit<L1Options, 'clock'>> = { max: 10_000, fallbackMs: 3_000 };

interface Entry {
  accessToken: string;
  expiresAt: number;
  /** Served until then (epoch ms). */
  until: number;
}

/** Taken before a read; a set with a ticket older than the last invalidation is dropped. */
export type L1Ticket = number & { readonly __l1Ticket: unique symbol };

export class L1TokenCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly clock: () => number;
  private generation = 0;
  private live = false;

  constructor(private readonly options: L1Options) {
    if (!(options.max >= 1) || !(options.fallbackMs >= 0)) throw new RangeError('L1TokenCache: max >= 1 and fallbackMs >= 0');
    this.entries = new LRUCache<string, Entry>({ max: options.max });
    this.clock = options.clock ?? Date.now;
  }

  /** Whether invalidations from other instances are currently arriving. */
  get isLive(): boolean {
    return this.live;
  }

  get size(): number {
    return this.entries.size;
  }

  ticket(): L1Ticket {
    return this.generation as L1Ticket;
  }

  get(credentialId: string, resource: TokenResource): FreshToken | null {
    const key = l1Key(credentialId, resource);
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.until <= this.clock()) {
      this.entries.delete(key);
      return null;
    }
    return { accessToken: entry.accessToken, expiresAt: entry.expiresAt };
  }

  /** Keeps the token for its fresh window (shorter while not live); false when it was not kept. */
  set(credentialId: string, resource: TokenResource, token: FreshToken, skewMs: number, ticket: L1Ticket): boolean {
    if (ticket !== this.generation) return false;
    const now = this.clock();
    const until = Math.min(token.expiresAt - skewMs, this.live ? Infinity : now + this.options.fallbackMs);
    if (until <= now) return false;
    this.entries.set(l1Key(credentialId, resource), { accessToken: token.accessToken, expiresAt: token.expiresAt, until });
    return true;
  }

  /** Drops every resource's token of the credential. */
  forget(credentialId: string): void {
    this.generation += 1;
    for (const resource of TOKEN_RESOURCES) this.entries.delete(l1Key(credentialId, resource));
  }

  /** Drops everything (messages may have been lost). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /**
   * Invalidations arrive (true) or may be missed (false). Going quiet cuts every entry down to
   * `fallbackMs`; coming back drops them all, since what was missed in between is unknown.
   */
  setLive(live: boolean): void {
    if (live === this.live) return;
    this.live = live;
    this.generation += 1;
    if (live) {
      this.entries.clear();
      return;
    }
    const cap = this.clock() + this.options.fallbackMs;
    for (const entry of this.entries.values()) entry.until = Math.min(entry.until, cap);
  }
}

function l1Key(credentialId: string, resource: TokenResource): string {
  return `${credentialId}:${resource}`;
}
