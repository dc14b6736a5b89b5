// Runs one link's sync now, in this process (after "link a folder" or "sync now" answered 202).
// The engine's own lease keeps it from running twice alongside the cron; whatever the deadline
// leaves undone resumes from its checkpoint on the next cron run.
import { getCache } from '../cache';
import { getDb } from '../db';
import { childLogger } from '../log';
import { getTokenService } from '../tokens';
import { getOutbox } from '../webhooks/runtime';
import { syncOneDriveLink } from './sync-link';

const log = childLogger('onedrive');
const DEFAULT_BUDGET_MS = 45_000;

export async function syncLinkNow(options: { linkId: string; budgetMs?: number }): Promise<void> {
  try {
    const db = await getDb();
    const link = await db.oneDriveLink.findUnique({ where: { id: options.linkId }, select: { credentialId: true } });
    if (!link) return;
    const tokens = await getTokenService();
    const outbox = getOutbox();
    const result = await syncOneDriveLink({
      db,
      linkId: options.linkId,
      getGraphToken: async (opts) => (await tokens.ensureFreshToken(link.credentialId, 'graph', { ...opts, background: true })).accessToken,
      cache: getCache(),
      logger: log,
      deadline: Date.now() + (options.budgetMs ?? DEFAULT_BUDGET_MS),
      ...(outbox ? { outbox } : {}),
    });
    log.info({ linkId: options.linkId, outcome: result.outcome, more: result.more }, 'on-demand sync finished');
  } catch (error) {
    // The engine records failures on the link itself; this only keeps a crash out of the request.
    log.error({ linkId: options.linkId, err: error instanceof Error ? error.name : 'unknown' }, 'on-demand sync failed');
  }
}
