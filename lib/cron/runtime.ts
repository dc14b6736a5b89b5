// Wires a cron run to this process's database, cache, token layer, sync engine and settings.
import { getCache } from '../cache';
import { getDb } from '../db';
import { getEnv } from '../env';
import { childLogger } from '../log';
import { syncOneDriveLink } from '../onedrive';
import { getTokenService } from '../tokens';
import { getOutbox, webhookConfig } from '../webhooks/runtime';
import { cronBudget } from './budget';
import { runCron } from './run-cron';
import type { CronSummary } from './types';

const log = childLogger('cron');

export async function runScheduledCron(input: { maxDurationSeconds: number }): Promise<CronSummary> {
  const env = getEnv();
  const { budgetMs, drainMs } = cronBudget({ maxDurationSeconds: input.maxDurationSeconds, budgetSeconds: env.CRON_BUDGET_SECONDS });
  const outbox = getOutbox(env);
  const webhooks = webhookConfig(env);
  return runCron({
    db: await getDb(),
    tokens: await getTokenService(),
    cache: getCache(),
    logger: log,
    syncLink: outbox ? (o) => syncOneDriveLink({ ...o, outbox }) : syncOneDriveLink,
    budgetMs,
    drainMs,
    ...(env.CRON_CONCURRENCY === undefined ? {} : { concurrency: env.CRON_CONCURRENCY }),
    maxConcurrency: env.CRON_MAX_CONCURRENCY,
    warmWindowSeconds: env.CRON_WARM_WINDOW_SECONDS,
    warmActiveHours: env.CRON_WARM_ACTIVE_HOURS,
    idleDays: env.CRON_IDLE_DAYS,
    nearExpiryDays: env.CRON_NEAR_EXPIRY_DAYS,
    ...(outbox ? { outbox } : {}),
    ...(webhooks ? { webhooks } : {}),
  });
}
