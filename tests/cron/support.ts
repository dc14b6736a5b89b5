// A cron test world: the token fixture (PostgreSQL, Redis prefix, Microsoft emulator), a logger
// that keeps every line for assertions (and appends it to the suite log, so the suite's secret
// scan covers the cron too), and helpers that make credentials due.
import { appendFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { runCron, type CronSummary, type RunCronOptions } from '@/lib/cron';
import { GRAPH_FILES_SCOPE, IMAP_SCOPE } from '@/lib/microsoft/scopes';
import { accessTokenCacheKey, storeGrant, type TokenResource, type TokenService, type TokenServiceDeps } from '@/lib/tokens';
import { createTokenFixture, type TokenFixture } from '../support/tokens';

export const DAY_MS = 86_400_000;

export interface CronWorld {
  f: TokenFixture;
  logs: Record<string, unknown>[];
  logger: Logger;
  /** A token service as another process would have it, logging into `logs`. */
  service(overrides?: Partial<TokenServiceDeps>): TokenService;
  /** An OAuth credential holding a real emulator refresh token; `graph` adds Files.Read.All; `tenantId` puts its user in that tenant. */
  seed(options?: { graph?: boolean; tenantId?: string }): Promise<{ credentialId: string; userId: string; email: string }>;
  /** The refresh token was last exercised `days` ago. */
  makeIdle(ids: string[], days: number): Promise<void>;
  /** Gives the credential a stored access token for `resource` that expires in `seconds`. */
  giveToken(id: string, resource: TokenResource, seconds: number): Promise<void>;
  run(overrides?: Partial<RunCronOptions>): Promise<CronSummary>;
  refreshRequests(): number;
  /** Deletes every user (and so every credential, token, knowledge base) between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

export async function createCronWorld(): Promise<CronWorld> {
  const f = await createTokenFixture();
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as Record<string, unknown>);
        if (process.env.LOG_FILE) appendFileSync(process.env.LOG_FILE, line);
      },
    },
  );
  const db = f.database.db;
  const service = (overrides: Partial<TokenServiceDeps> = {}) => f.service({ logger: logger.child({ module: 'tokens' }), ...overrides });

  return {
    f,
    logs,
    logger,
    service,
    async seed(options = {}) {
      const email = `cron${++seq}.${Date.now().toString(36)}@contoso.example`;
      const user = f.emulator.addUser({ email, ...(options.tenantId ? { tenantId: options.tenantId } : {}) });
      const appUser = await db.user.create({ data: { email } });
      const scopes = ['openid', 'offline_access', IMAP_SCOPE, ...(options.graph ? [GRAPH_FILES_SCOPE] : [])];
      const credentialId = await storeGrant({
        db,
        cache: f.cache,
        secrets: f.secrets,
        logger,
        skewSeconds: 300,
        userId: appUser.id,
        email,
        providerAccountId: user.oid,
        tenantId: user.tid,
        refreshToken: f.emulator.issueRefreshToken({ email, scopes }),
        grantedScopes: scopes,
      });
      return { credentialId, userId: appUser.id, email };
    },
    async makeIdle(ids, days) {
      const at = new Date(Date.now() - days * DAY_MS);
      await db.mailCredential.updateMany({ where: { id: { in: ids } }, data: { lastRefreshAt: at, refreshTokenIssuedAt: at } });
    },
    async giveToken(id, resource, seconds) {
      await service().ensureFreshToken(id, resource);
      await db.accessToken.update({
        where: { credentialId_resource: { credentialId: id, resource } },
        data: { expiresAt: new Date(Date.now() + seconds * 1000) },
      });
      // A person used the mailbox just now: the cron warms only mailboxes in use.
      await db.mailCredential.update({ where: { id }, data: { lastAccessedAt: new Date() } });
      // Redis still holds the token with its real expiry; the database is what the cron reads.
      await f.cache.del(accessTokenCacheKey(id, resource));
    },
    run(overrides = {}) {
      return runCron({
        db,
        tokens: service(),
        cache: f.cache,
        logger: logger.child({ module: 'cron' }),
        budgetMs: 30_000,
        drainMs: 10_000,
        concurrency: 8,
        warmWindowSeconds: 900,
        warmActiveHours: 4,
        idleDays: 30,
        nearExpiryDays: 80,
        ...overrides,
      });
    },
    refreshRequests: () => f.emulator.stats().token.refresh_token,
    async reset() {
      f.emulator.clearTokenFailures();
      f.emulator.setLatency(0);
      await db.user.deleteMany();
      logs.length = 0;
    },
    close: () => f.close(),
  };
}
