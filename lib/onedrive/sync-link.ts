// syncOneDriveLink: one incremental run of a knowledge base's OneDrive folder.
//
// The walk starts from the checkpoint (nextLink of an interrupted walk), else the stored deltaLink,
// else the folder's initial delta. Each page is applied in one transaction together with the next
// checkpoint, so an interruption anywhere resumes where it stopped. The walk's final deltaLink is
// kept aside (pendingDeltaLink) until every download it covers has landed, then promoted. A 410
// restarts the walk at Graph's Location and removes, at its end, whatever the re-walk did not see.
//
// OneDrive for Business and SharePoint refuse delta on anything but the drive root. The first such
// refusal switches the link for good (deltaScope 'root') to the root's delta, kept to the linked
// folder's subtree by the planner; folders that enter the subtree in an incremental walk come
// without their unchanged children, which are listed with /children before the page is applied.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import { Prisma, type OneDriveLink, type PrismaClient } from '../db';
import { getEnv } from '../env';
import { childLogger } from '../log';
import { planDeltaPage, subtreeRoots } from './apply-page';
import { Downloader } from './downloads';
import { DeadlineReachedError, GraphError, ResyncRequiredError, isFolderDeltaUnsupported } from './errors';
import { GraphClient } from './graph-client';
import { claimLink, Lease } from './lease';
import { listSubtrees } from './list-subtree';
import { failureBackoffMs, judgeFailure, type SyncOutcome } from './outcome';
import { unseenAfterResync } from './resync';
import { applyPlan, loadDescendants, loadItems, removeItems, staleAfterResync } from './sync-store';
import type { GetGraphToken, GraphDriveItem, StoredItem } from './types';
import { isShuttingDown, onShutdown } from '../shutdown/hooks';
import { syncFailedEvent, type EventOutbox } from '../webhooks';
import { ATTR, telemetry } from '../telemetry';

export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

export interface SyncOneDriveLinkOptions {
  db: PrismaClient;
  linkId: string;
  /** The token layer: ensureFreshToken(credentialId, 'graph', opts). */
  getGraphToken: GetGraphToken;
  cache: Cache;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: Logger;
  /** Files larger than this are recorded as skipped, never downloaded. */
  maxFileBytes?: number;
  /** Epoch ms: stop cleanly (checkpoint kept) once reached. */
  deadline?: number;
  /** MICROSOFT_GRAPH_URL by default. */
  graphUrl?: string;
  fetch?: typeof fetch;
  leaseMs?: number;
  downloadConcurrency?: number;
  /** Operator events: `onedrive.sync_failed` when a healthy link fails or needs re-authorization. */
  outbox?: EventOutbox;
}

export interface SyncResult {
  outcome: SyncOutcome;
  /** Work is left for another run (deadline reached). */
  more: boolean;
  pages: number;
  graphRequests: number;
  downloads: number;
  written: number;
  removed: number;
  skipped: number;
  /** Short code when the run failed (never upstream text). */
  error?: string;
}

const MAX_RESYNCS_PER_RUN = 2;

/** 'folder': the linked folder's own delta. 'root': the drive root's, filtered to the folder. */
type DeltaScope = 'folder' | 'root';

const deltaScopeOf = (value: string): DeltaScope => (value === 'root' ? 'root' : 'folder');

/** Carried delta items are checkpointed without their download URLs (secrets, and short-lived). */
function checkpointItems(items: GraphDriveItem[]): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (items.length === 0) return Prisma.DbNull;
  return items.map(({ '@microsoft.graph.downloadUrl': _url, ...rest }) => rest) as unknown as Prisma.InputJsonValue;
}

function carriedItems(value: Prisma.JsonValue | null): GraphDriveItem[] {
  return Array.isArray(value) ? (value as unknown as GraphDriveItem[]) : [];
}

class SyncRun {
  readonly result: SyncResult = { outcome: 'synced', more: false, pages: 0, graphRequests: 0, downloads: 0, written: 0, removed: 0, skipped: 0 };
  private readonly downloader: Downloader;

  constructor(
    private readonly db: PrismaClient,
    private link: OneDriveLink,
    private readonly graph: GraphClient,
    private readonly lease: Lease,
    private readonly options: { maxFileBytes: number; deadline?: number; clock: () => number; logger: Logger; downloadConcurrency: number },
  ) {
    this.downloader = new Downloader({
      db,
      graph,
      lease,
      knowledgeBaseId: link.knowledgeBaseId,
      driveId: link.driveId,
      maxFileBytes: options.maxFileBytes,
      concurrency: options.downloadConcurrency,
      clock: options.clock,
      deadline: options.deadline,
      logger: options.logger,
    });
  }

  async execute(): Promise<void> {
    const { graph } = this;
    const link = await this.resolveFolderAlias();
    // Rows an interrupted run left pending belong to links already checkpointed: finish them first.
    await this.downloader.drainPending();
    if (link.pendingDeltaLink !== null) {
      await this.promote(link.pendingDeltaLink);
      return;
    }

    let scope = deltaScopeOf(link.deltaScope);
    const freshWalk = () => (scope === 'root' ? graph.rootDeltaUrl(link.driveId) : graph.initialDeltaUrl(link.driveId, link.folderId));
    let url = link.nextLink ?? link.deltaLink ?? freshWalk();
    let carry = carriedItems(link.pendingItems);
    let resyncing = link.resyncing;
    let generation = link.resyncGeneration;
    // A walk from no cursor (the first one, a resync) reports every item, children included.
    let fullWalk = resyncing || link.deltaLink === null;
    let resyncs = 0;

    for (;;) {
      if (this.options.deadline !== undefined && this.options.clock() >= this.options.deadline) throw new DeadlineReachedError();
      let page;
      try {
        page = await graph.deltaPage(url);
      } catch (error) {
        if (scope === 'folder' && isFolderDeltaUnsupported(error)) {
          scope = 'root';
          this.options.logger.info({ deltaScope: scope }, 'folder delta not supported by the drive, following the drive root’s delta');
          url = freshWalk();
          carry = [];
          fullWalk = true;
          // Folder delta once worked for this link: rows it stored are reconciled like a resync's.
          if (link.deltaLink !== null && !resyncing) {
            resyncing = true;
            generation++;
          }
          await this.saveRestart(link.id, {
            deltaScope: scope,
            deltaLink: null,
            nextLink: url,
            pendingItems: Prisma.DbNull,
            resyncing,
            resyncGeneration: generation,
          });
          continue;
        }
        if (!(error instanceof ResyncRequiredError)) throw error;
        if (++resyncs > MAX_RESYNCS_PER_RUN) throw new GraphError(410, 'resync_loop');
        this.options.logger.warn({ generation: generation + 1 }, 'delta link no longer valid, re-walking the folder');
        url = error.location ?? freshWalk();
        carry = [];
        resyncing = true;
        fullWalk = true;
        generation++;
        await this.saveRestart(link.id, {
          nextLink: url,
          pendingItems: Prisma.DbNull,
          pendingDeltaLink: null,
          resyncing: true,
          resyncGeneration: generation,
        });
        continue;
      }

      this.result.pages++;
      const final = page.deltaLink !== undefined;
      const items = [...carry, ...page.items];
      let stored = await this.loadStored(items);
      const planPage = () => planDeltaPage({ rootId: link.folderId, stored, items, final, maxFileBytes: this.options.maxFileBytes, source: scope });
      let plan = planPage();
      if (scope === 'root' && !fullWalk && plan.enteredFolders.length > 0) {
        // Listed after the page's items, so their (newer) state is the one kept.
        const { deadline, clock } = this.options;
        items.push(...(await listSubtrees({ graph, driveId: link.driveId, folderIds: plan.enteredFolders, clock, ...(deadline !== undefined ? { deadline } : {}) })));
        stored = await this.loadStored(items);
        plan = planPage();
      }
      if (plan.rootDeleted) throw new GraphError(404, 'itemNotFound');

      const gen = resyncing ? generation : null;
      await this.db.$transaction(
        async (tx) => {
          await this.lease.check(tx);
          const { removed } = await applyPlan(tx, { knowledgeBaseId: link.knowledgeBaseId, plan, stored, generation: gen });
          this.result.removed += removed;
          if (final && gen !== null) {
            const unseen = unseenAfterResync(await staleAfterResync(tx, link.knowledgeBaseId), gen);
            this.result.removed += await removeItems(tx, link.knowledgeBaseId, unseen);
          }
          await tx.oneDriveLink.update({
            where: { id: link.id },
            data: final
              ? { nextLink: null, pendingItems: Prisma.DbNull, pendingDeltaLink: page.deltaLink!, resyncing: false }
              : { nextLink: page.nextLink!, pendingItems: checkpointItems(plan.carry) },
          });
        },
        { timeout: 60_000 },
      );
      this.result.written += plan.writes.length;
      this.result.skipped += plan.writes.filter((w) => w.state === 'skipped' && stored.get(w.itemId)?.state !== 'skipped').length;

      await this.downloader.run(plan.downloads);
      if (final) {
        await this.downloader.drainPending();
        await this.promote(page.deltaLink!);
        return;
      }
      carry = plan.carry;
      url = page.nextLink!;
    }
  }

  /**
   * Delta items name their parent by real id, never by the "root" alias Graph also accepts in
   * URLs; a link made with the alias would otherwise see every item as outside the folder.
   */
  /** Checkpoints a walk that starts over (410 resync, or the switch to the drive root's delta). */
  private async saveRestart(linkId: string, data: Prisma.OneDriveLinkUpdateInput): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await this.lease.check(tx);
      await tx.oneDriveLink.update({ where: { id: linkId }, data });
    });
  }

  private async resolveFolderAlias(): Promise<OneDriveLink> {
    if (this.link.folderId !== 'root') return this.link;
    const root = await this.graph.getItem(this.link.driveId, 'root');
    this.link = await this.db.oneDriveLink.update({ where: { id: this.link.id }, data: { folderId: root.id } });
    return this.link;
  }

  /** Stored rows the page can touch: its items, their parents, and subtrees of moved folders. */
  private async loadStored(items: GraphDriveItem[]): Promise<Map<string, StoredItem>> {
    const kb = this.link.knowledgeBaseId;
    const ids = new Set<string>();
    for (const item of items) {
      ids.add(item.id);
      if (item.parentReference?.id) ids.add(item.parentReference.id);
    }
    const stored = new Map((await loadItems(this.db, kb, [...ids])).map((r) => [r.itemId, r]));
    for (const row of await loadDescendants(this.db, kb, subtreeRoots(stored, items))) stored.set(row.itemId, row);
    return stored;
  }

  /** The deltaLink becomes the cursor only once nothing it covers is still pending. */
  private async promote(deltaLink: string): Promise<void> {
    const { link } = this;
    await this.db.$transaction(async (tx) => {
      await this.lease.check(tx);
      const pending = await tx.knowledgeFile.count({ where: { knowledgeBaseId: link.knowledgeBaseId, downloadPending: true } });
      if (pending > 0) throw new GraphError(0, 'downloads_pending');
      await tx.oneDriveLink.update({ where: { id: link.id }, data: { deltaLink, pendingDeltaLink: null, nextLink: null } });
    });
  }

  countsFromClients(): void {
    this.result.graphRequests = this.graph.counts.requests;
    this.result.downloads = this.downloader.counts.stored;
    this.result.skipped += this.downloader.counts.skipped;
    this.result.removed += this.downloader.counts.removed;
  }
}

export function syncOneDriveLink(options: SyncOneDriveLinkOptions): Promise<SyncResult> {
  return telemetry.traced('mailbridge.onedrive.sync', { [ATTR.linkId]: options.linkId }, () => syncLink(options));
}

async function syncLink(options: SyncOneDriveLinkOptions): Promise<SyncResult> {
  const { db, linkId } = options;
  const clock = options.clock ?? Date.now;
  const logger = (options.logger ?? childLogger('onedrive')).child({ linkId });
  const started = clock();
  const owner = randomUUID();
  const leaseMs = options.leaseMs ?? 5 * 60_000;

  // A process shutting down takes no new lease: another instance runs the link.
  const claim = isShuttingDown() ? ({ kind: 'busy' } as const) : await claimLink(db, { linkId, owner, now: clock(), leaseMs });
  if (claim.kind !== 'claimed') {
    logger.info({ outcome: claim.kind }, 'onedrive sync not started');
    telemetry.onedriveSync(claim.kind);
    return { outcome: claim.kind, more: false, pages: 0, graphRequests: 0, downloads: 0, written: 0, removed: 0, skipped: 0 };
  }
  const link = claim.link;
  telemetry.annotate({ [ATTR.credentialId]: link.credentialId });
  const graph = new GraphClient({
    baseUrl: options.graphUrl ?? getEnv().MICROSOFT_GRAPH_URL,
    getToken: options.getGraphToken,
    cache: options.cache,
    // Graph throttles per user and app: every link of the same account shares one window.
    throttleKey: `onedrive:throttle:${link.credentialId}`,
    clock,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    logger,
  });
  const lease = new Lease(db, link.id, owner, leaseMs, clock);
  // At SIGTERM the lease is handed back instead of being left for its full time.
  const unregister = onShutdown('onedrive_lease', async () => {
    if (await lease.handBack()) logger.info({ outcome: 'handed_back' }, 'onedrive sync lease released at shutdown');
  });
  const run = new SyncRun(db, link, graph, lease, {
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    deadline: options.deadline,
    clock,
    logger,
    downloadConcurrency: options.downloadConcurrency ?? 4,
  });

  const result = run.result;
  // Reported once per change of state: a link that was healthy starts failing, or needs reauth.
  const failedEvent = (outcome: 'error' | 'needs_reauth', code: string) =>
    options.outbox && (outcome === 'needs_reauth' || link.failureCount === 0)
      ? {
          outbox: options.outbox,
          event: syncFailedEvent({ linkId: link.id, knowledgeBaseId: link.knowledgeBaseId, credentialId: link.credentialId, outcome, code, runId: owner }),
        }
      : undefined;
  try {
    await run.execute();
    const now = clock();
    await lease.release({
      status: 'idle',
      error: null,
      failureCount: 0,
      lastSyncAt: new Date(now),
      nextSyncAt: new Date(now + link.intervalMinutes * 60_000),
    });
  } catch (error) {
    const verdict = judgeFailure(error);
    result.outcome = verdict.outcome;
    if (verdict.outcome !== 'partial') result.error = verdict.code;
    if (verdict.code === 'internal') logger.error({ errName: errorName(error) }, 'onedrive sync failed unexpectedly');
    const now = clock();
    try {
      if (verdict.outcome === 'partial') {
        // Due again at once: the next run (the cron's, usually) resumes from the checkpoint.
        result.more = true;
        await lease.release({ status: 'idle', nextSyncAt: new Date(now) });
      } else if (verdict.outcome === 'needs_reauth') {
        await lease.release({ status: 'needs_reauth', error: verdict.message }, failedEvent('needs_reauth', verdict.code));
      } else if (verdict.outcome === 'error') {
        const failures = link.failureCount + 1;
        await lease.release({
          status: 'error',
          error: verdict.message,
          failureCount: failures,
          nextSyncAt: new Date(now + failureBackoffMs(failures, link.intervalMinutes, verdict.retryAfterMs)),
        }, failedEvent('error', verdict.code));
      }
    } catch (releaseError) {
      logger.error({ errName: errorName(releaseError) }, 'could not record the sync outcome');
    }
  } finally {
    unregister();
  }
  run.countsFromClients();
  telemetry.onedriveSync(result.outcome);
  logger.info(
    {
      outcome: result.outcome,
      ...(result.error ? { error: result.error } : {}),
      more: result.more,
      pages: result.pages,
      graphRequests: result.graphRequests,
      downloads: result.downloads,
      written: result.written,
      removed: result.removed,
      skipped: result.skipped,
      durationMs: clock() - started,
    },
    'onedrive sync finished',
  );
  return result;
}

/** Errors are logged by name: messages of library errors can echo URLs or upstream bodies. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
