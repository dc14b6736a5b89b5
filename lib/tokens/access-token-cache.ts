// Access tokens in the cache, sealed and bound to their key. A value that fails to open (key
// rotated away, tampered, moved) is just a miss.
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import { accessTokenCacheKey, TOKEN_RESOURCES } from './cache-keys';
import { cacheTtlMs } from './freshness';
import { accessTokenAad, cacheAad, refreshTokenAad, type SecretBox } from '../crypto';
import type { FreshToken, TokenResource } from './types';

export class AccessTokenCache {
  constructor(
    private readonly cache: Cache,
    private readonly secrets: SecretBox,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(credentialId: string, resource: TokenResource): Promise<FreshToken | null> {
    const key = accessTokenCacheKey(credentialId, resource);
    const sealed = await this.cache.get(key);
    if (sealed === null) return null;
    try {
      const value = JSON.parse(this.secrets.open(sealed, cacheAad(key))) as Partial<FreshToken>;
      if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'number') return null;
      return { accessToken: value.accessToken, expiresAt: value.expiresAt };
    } catch {
      this.log.warn({ credentialId, resource }, 'cached access token could not be opened; ignoring it');
      return null;
    }
  }

  async set(credentialId: string, resource: TokenResource, token: FreshToken, skewMs: number): Promise<void> {
    const ttl = cacheTtlMs(token.expiresAt, this.clock(), skewMs);
    if (ttl <= 0) return;
    const key = accessTokenCacheKey(credentialId, resource);
    await this.cache.set(key, this.secrets.seal(JSON.stringify(token), cacheAad(key)), ttl);
  }

  async delete(credentialId: string, resource: TokenResource): Promise<void> {
    await this.cache.del(accessTokenCacheKey(credentialId, resource));
  }

  async deleteAll(credentialId: string): Promise<void> {
    await this.cache.del(...TOKEN_RESOURCES.map((r) => accessTokenCacheKey(credentialId, r)));
  }
}
