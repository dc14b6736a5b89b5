// Access tokens in the caches: the in-process L1 (opened, when the token service has one) in
// front of Redis (sealed and bound to their key). A Redis value that fails to open (key rotated
// away, tampered, moved) is just a miss.
//
// A change of a credential's tokens (new token committed, token rejected, disconnect, reconnect)
// is published on TOKEN_INVALIDATION_CHANNEL after Redis is written, so every instance's L1
// drops that credential (this process's at once, others through Redis pub/sub).
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import { accessTokenCacheKey, TOKEN_RESOURCES } from './cache-keys';
import { cacheTtlMs } from './freshness';
import { cacheAad, type SecretBox } from '../crypto';
import type { L1Ticket, L1TokenCache } from './l1-cache';
import type { FreshToken, TokenResource } from './types';

/** Messages are credential ids whose access tokens changed. */
export const TOKEN_INVALIDATION_CHANNEL = 'tokens:invalidate';

/** Drops a credential's cached access tokens everywhere: Redis, and every instance's L1. */
export async function forgetCachedAccessTokens(cache: Cache, credentialId: string): Promise<void> {
  await cache.del(...TOKEN_RESOURCES.map((r) => accessTokenCacheKey(credentialId, r)));
  await cache.publish(TOKEN_INVALIDATION_CHANNEL, credentialId);
}

/** Keeps an L1 in step with the invalidation channel; returns the unsubscribe function. */
export function followInvalidations(cache: Cache, l1: L1TokenCache): () => void {
  return cache.subscribe(TOKEN_INVALIDATION_CHANNEL, {
    message: (credentialId) => l1.forget(credentialId),
    live: (isLive) => l1.setLive(isLive),
    lost: () => l1.clear(),
  });
}

const NO_TICKET = -1 as L1Ticket;

export interface AccessTokenCacheOptions {
  /** The in-process cache of opened tokens, consulted before Redis. */
  l1?: L1TokenCache;
  /** The refresh skew, for L1 entries filled from Redis. */
  skewMs?: number;
  /**
   * How many opened Redis values to remember (0: none). A Redis value identical to one already
   * opened under the same key is not decrypted again: its bytes were authenticated then, and Redis
   * is still asked on every call, so this changes no answer, only skips the AES-GCM open.
   */
  openedMax?: number;
}

interface Opened {
  sealed: string;
  token: FreshToken;
}

export class AccessTokenCache {
  private readonly l1: L1TokenCache | undefined;
  private readonly skewMs: number;
  private readonly opened: LRUCache<string, Opened> | undefined;

  constructor(
    private readonly cache: Cache,
    private readonly secrets: SecretBox,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    options: AccessTokenCacheOptions = {},
  ) {
    this.l1 = options.l1;
    this.skewMs = options.skewMs ?? 0;
    this.opened = options.openedMax ? new LRUCache<string, Opened>({ max: options.openedMax }) : undefined;
  }

  /** Taken before reading the database, for `refill`. */
  ticket(): L1Ticket {
    return this.l1?.ticket() ?? NO_TICKET;
  }

  async get(credentialId: string, resource: TokenResource): Promise<FreshToken | null> {
    return (await this.lookup(credentialId, resource))?.token ?? null;
  }

  /** The cached token and the layer that held it (in-process L1, or the shared cache). */
  async lookup(credentialId: string, resource: TokenResource): Promise<{ token: FreshToken; layer: 'l1' | 'shared' } | null> {
    const l1 = this.l1;
    if (l1) {
      const hit = l1.get(credentialId, resource);
      if (hit) return { token: hit, layer: 'l1' };
    }
    const ticket = this.ticket();
    const key = accessTokenCacheKey(credentialId, resource);
    const sealed = await this.cache.get(key);
    if (sealed === null) return null;
    const token = this.open(key, sealed, credentialId, resource);
    if (!token) return null;
    l1?.set(credentialId, resource, token, this.skewMs, ticket);
    return { token, layer: 'shared' };
  }

  private open(key: string, sealed: string, credentialId: string, resource: TokenResource): FreshToken | null {
    const known = this.opened?.get(key);
    if (known !== undefined && known.sealed === sealed) return { ...known.token };
    try {
      const value = JSON.parse(this.secrets.open(sealed, cacheAad(key))) as Partial<FreshToken>;
      if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'number') return null;
      const token = { accessToken: value.accessToken, expiresAt: value.expiresAt };
      this.opened?.set(key, { sealed, token: { ...token } });
      return token;
    } catch {
      this.log.warn({ credentialId, resource }, 'cached access token could not be opened; ignoring it');
      return null;
    }
  }

  /**
   * Puts back a token that is already the credential's current one (read from the database):
   * nothing changed, so nothing is published. `ticket` was taken before that read.
   */
  async refill(credentialId: string, resource: TokenResource, token: FreshToken, skewMs: number, ticket: L1Ticket): Promise<void> {
    await this.write(credentialId, resource, token, skewMs);
    this.l1?.set(credentialId, resource, token, skewMs, ticket);
  }

  /** A new token for the credential (a refresh committed, a grant stored): other instances drop theirs. */
  async replace(credentialId: string, resource: TokenResource, token: FreshToken, skewMs: number): Promise<void> {
    await this.write(credentialId, resource, token, skewMs);
    await this.cache.publish(TOKEN_INVALIDATION_CHANNEL, credentialId);
    this.l1?.set(credentialId, resource, token, skewMs, this.ticket());
  }

  /** The token was rejected by a server: gone from Redis and from every instance's L1. */
  async delete(credentialId: string, resource: TokenResource): Promise<void> {
    this.l1?.forget(credentialId);
    this.opened?.delete(accessTokenCacheKey(credentialId, resource));
    await this.cache.del(accessTokenCacheKey(credentialId, resource));
    await this.cache.publish(TOKEN_INVALIDATION_CHANNEL, credentialId);
  }

  async deleteAll(credentialId: string): Promise<void> {
    this.l1?.forget(credentialId);
    for (const r of TOKEN_RESOURCES) this.opened?.delete(accessTokenCacheKey(credentialId, r));
    await forgetCachedAccessTokens(this.cache, credentialId);
  }

  private async write(credentialId: string, resource: TokenResource, token: FreshToken, skewMs: number): Promise<void> {
    const ttl = cacheTtlMs(token.expiresAt, this.clock(), skewMs);
    if (ttl <= 0) return;
    const key = accessTokenCacheKey(credentialId, resource);
    const copy = { accessToken: token.accessToken, expiresAt: token.expiresAt };
    const sealed = this.secrets.seal(JSON.stringify(copy), cacheAad(key));
    await this.cache.set(key, sealed, ttl);
    // What we just wrote needs no opening when Redis hands it back.
    this.opened?.set(key, { sealed, token: copy });
  }
}
