// A token layer wired to real parts: a fresh PostgreSQL database, a private Redis key prefix on
// the machine's Redis (or any cache), the project's Microsoft emulator over HTTP.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { createMemoryCache, createRedisCache, type Cache } from '@/lib/cache';
import { createSecretBox, keyringFromKeys, type SecretBox } from '@/lib/crypto';
import { createIdentityClient, type IdentityClient } from '@/lib/microsoft';
import { createTokenService, storeGrant, type FreshToken, type TokenResource, type TokenServiceDeps } from '@/lib/tokens';
import { IMAP_SCOPE } from '@/lib/microsoft/scopes';
import { logger } from '@/lib/log';
import { createTestDatabase, type TestDatabase } from './db';
import { keysWithPrefix, SHARED_REDIS_URL } from './redis';

export { SHARED_REDIS_URL };

export interface TokenFixture {
  emulator: MicrosoftEmulator;
  database: TestDatabase;
  redisPrefix: string;
  cache: Cache;
  secrets: SecretBox;
  keyBase64: string;
  identity: IdentityClient;
  /** Creates a user (in the emulator's default tenant, or `tenantId`) and an OAuth credential holding a real emulator refresh token. */
  seedCredential(email?: string, options?: { tenantId?: string; accessToken?: FreshToken & { resource: TokenResource } }): Promise<{ credentialId: string; userId: string; email: string; tenantId: string }>;
  service(overrides?: Partial<TokenServiceDeps>): ReturnType<typeof createTokenService>;
  /** Raw values under this fixture's Redis prefix. */
  rawRedisValues(): Promise<string[]>;
  close(): Promise<void>;
}

export async function createTokenFixture(options: { emulator?: Parameters<typeof startMicrosoftEmulator>[0]; cache?: 'redis' | 'memory' } = {}): Promise<TokenFixture> {
  const emulator = await startMicrosoftEmulator(options.emulator);
  const database = await createTestDatabase();
  const redisPrefix = `mbtest:${randomBytes(6).toString('hex')}:`;
  const cache =
    options.cache === 'memory'
      ? createMemoryCache()
      : createRedisCache({ url: SHARED_REDIS_URL, keyPrefix: redisPrefix, logger: logger.child({ module: 'cache' }) });
  const key = randomBytes(32);
  const secrets = createSecretBox(keyringFromKeys(key));
  const identity = createIdentityClient({
    authorityHost: emulator.url,
    tenant: 'common',
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
  });
  const admin = new Redis(SHARED_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let seq = 0;

  const keysUnderPrefix = () => keysWithPrefix(admin, redisPrefix);

  return {
    emulator,
    database,
    redisPrefix,
    cache,
    secrets,
    keyBase64: key.toString('base64'),
    identity,
    async seedCredential(email = `user${++seq}.${randomBytes(3).toString('hex')}@contoso.example`, options = {}) {
      const user = emulator.addUser({ email, ...(options.tenantId ? { tenantId: options.tenantId } : {}) });
      const appUser = await database.db.user.create({ data: { email } });
      const refreshToken = emulator.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE] });
      const credentialId = await storeGrant({
        db: database.db,
        cache,
        secrets,
        logger: logger.child({ module: 'tokens' }),
        skewSeconds: 300,
        userId: appUser.id,
        email,
        providerAccountId: user.oid,
        tenantId: user.tid,
        refreshToken,
        grantedScopes: ['openid', 'offline_access', IMAP_SCOPE],
        ...(options.accessToken ? { accessToken: options.accessToken } : {}),
      });
      return { credentialId, userId: appUser.id, email, tenantId: user.tid };
    },
    service(overrides = {}) {
      return createTokenService({
        db: database.db,
        cache,
        secrets,
        identity,
        logger: logger.child({ module: 'tokens' }),
        skewSeconds: 300,
        ...overrides,
      });
    },
    async rawRedisValues() {
      const keys = await keysUnderPrefix();
      if (keys.length === 0) return [];
      return (await admin.mget(...keys)).filter((v): v is string => v !== null);
    },
    async close() {
      const keys = await keysUnderPrefix().catch(() => []);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
      await cache.close();
      await database.close();
      await emulator.close();
    },
  };
}

export const silentLogger = pino({ level: 'silent' });
