// One instance of the service's token layer in its own OS process, driven over stdin/stdout
// (one JSON request per line, one JSON answer per line) by tests/tokens/l1-invalidation.test.ts.
// Its cache counts the access-token reads that reach Redis, so a test can tell an L1 hit (no
// read) from a miss.
import readline from 'node:readline';
import { createRedisCache, type Cache } from '../../lib/cache';
import { createSecretBox, keyringFromKeys } from '../../lib/crypto';
import { createDb } from '../../lib/db';
import { createIdentityClient } from '../../lib/microsoft';
import { createTokenService, forgetCachedAccessTokens, storeGrant, TOKEN_INVALIDATION_CHANNEL, type TokenResource } from '../../lib/tokens';
import { logger } from '../../lib/log';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  keyBase64: string;
  authorityHost: string;
  clientId: string;
  clientSecret: string;
  fallbackMs: number;
};

type Request =
  | { id: number; op: 'live' }
  | { id: number; op: 'get'; credentialId: string; resource?: TokenResource; rejectedToken?: string; minValiditySeconds?: number }
  | { id: number; op: 'disconnect'; credentialId: string }
  | { id: number; op: 'reconnect'; grant: { userId: string; email: string; providerAccountId: string; tenantId: string; refreshToken: string; grantedScopes: string[] } };

function counting(cache: Cache): Cache & { tokenReads: () => number } {
  let reads = 0;
  return Object.assign(Object.create(cache) as Cache, {
    get: (key: string) => {
      if (key.startsWith('at:')) reads += 1;
      return cache.get(key);
    },
    tokenReads: () => reads,
  });
}

async function main() {
  const { db, close } = await createDb({ url: config.databaseUrl, poolSize: 4 });
  const redis = createRedisCache({ url: config.redisUrl, keyPrefix: config.redisPrefix, circuitOpenMs: 300 });
  const cache = counting(redis);
  const secrets = createSecretBox(keyringFromKeys(Buffer.from(config.keyBase64, 'base64')));
  const log = logger.child({ module: 'tokens', worker: process.pid });
  const service = createTokenService({
    db,
    cache,
    secrets,
    identity: createIdentityClient({ authorityHost: config.authorityHost, tenant: 'common', clientId: config.clientId, clientSecret: config.clientSecret }),
    logger: log,
    skewSeconds: 300,
    sleep: async () => {},
    l1: { fallbackMs: config.fallbackMs },
  });
  // The same cache's channel state, as the token service's L1 sees it.
  let live = false;
  cache.subscribe(TOKEN_INVALIDATION_CHANNEL, { message: () => {}, live: (v) => (live = v), lost: () => {} });
  await db.$queryRaw`SELECT 1`;

  async function handle(req: Request): Promise<unknown> {
    switch (req.op) {
      case 'live':
        return live;
      case 'get': {
        const before = cache.tokenReads();
        const token = await service.ensureFreshToken(req.credentialId, req.resource ?? 'imap', {
          ...(req.rejectedToken ? { rejectedToken: req.rejectedToken } : {}),
          ...(req.minValiditySeconds ? { minValiditySeconds: req.minValiditySeconds, strict: true } : {}),
        });
        return { accessToken: token.accessToken, redisReads: cache.tokenReads() - before };
      }
      case 'disconnect':
        // What DELETE /api/mail/accounts/{id} does to the caches (lib/mail/runtime.ts).
        await forgetCachedAccessTokens(cache, req.credentialId);
        return null;
      case 'reconnect':
        return storeGrant({ db, cache, secrets, logger: log, skewSeconds: 300, ...req.grant });
    }
  }

  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const req = JSON.parse(line) as Request;
    handle(req).then(
      (result) => process.stdout.write(`${JSON.stringify({ id: req.id, result })}\n`),
      (error: unknown) => process.stdout.write(`${JSON.stringify({ id: req.id, error: (error as { code?: string }).code ?? (error as Error).name })}\n`),
    );
  });
  lines.on('close', () => {
    void redis.close().then(close).then(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ id: 0, result: 'started' })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`l1 worker failed: ${(error as Error).name}\n`);
  process.exit(1);
});
