// One OS process of the cross-process herd test: builds its own token service against the shared
// database, Redis prefix and emulator, waits for the common start time, then fires its callers.
// Prints one JSON line: the distinct access tokens it received and any errors.
import { createRedisCache } from '../../lib/cache';
import { createSecretBox, keyringFromKeys } from '../../lib/crypto';
import { createDb } from '../../lib/db';
import { createIdentityClient } from '../../lib/microsoft';
import { createTokenService } from '../../lib/tokens';
import { logger } from '../../lib/log';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  keyBase64: string;
  authorityHost: string;
  clientId: string;
  clientSecret: string;
  credentialId: string;
  callers: number;
  startAt: number;
};

async function main() {
  const { db, close } = await createDb({ url: config.databaseUrl, poolSize: 4 });
  const cache = createRedisCache({ url: config.redisUrl, keyPrefix: config.redisPrefix });
  const service = createTokenService({
    db,
    cache,
    secrets: createSecretBox(keyringFromKeys(Buffer.from(config.keyBase64, 'base64'))),
    identity: createIdentityClient({
      authorityHost: config.authorityHost,
      tenant: 'common',
      clientId: config.clientId,
      clientSecret: config.clientSecret,
    }),
    logger: logger.child({ module: 'tokens', worker: process.pid }),
    skewSeconds: 300,
  });
  // Warm the connections so the race starts at the token layer, not at connection setup.
  await db.$queryRaw`SELECT 1`;
  await cache.get('warmup');
  await new Promise((r) => setTimeout(r, Math.max(0, config.startAt - Date.now())));
  const results = await Promise.allSettled(
    Array.from({ length: config.callers }, () => service.ensureFreshToken(config.credentialId, 'imap')),
  );
  const tokens = new Set<string>();
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') tokens.add(r.value.accessToken);
    else errors.push(String((r.reason as { code?: string }).code ?? (r.reason as Error).name));
  }
  process.stdout.write(`${JSON.stringify({ tokens: [...tokens], fulfilled: results.length - errors.length, errors })}\n`);
  await cache.close();
  await close();
}

main().catch((error: unknown) => {
  process.stderr.write(`herd worker failed: ${(error as Error).name}\n`);
  process.exit(1);
});
