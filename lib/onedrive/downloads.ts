// Fetching file contents into pending rows, a few at a time. A row waits (downloadPending) until
// its content is stored; download URLs live only in memory, so rows left pending by an interrupted
// run get a fresh URL from one item request. An expired URL is refreshed once the same way.
//
// One item can take longer than the lease (a slow download retried after Retry-After waits), so
// the lease is renewed before every attempt, and every row write proves in its own transaction
// that the lease is still ours: a worker that lost it meanwhile never overwrites (or clears the
// pending flag of) a row the new owner has marked for a newer version.
import type { Logger } from 'pino';
import type { DbTransaction, PrismaClient } from '../db';
import { contentMeta } from './apply-page';
import { DeadlineReachedError, DownloadError, GraphError } from './errors';
import type { GraphClient } from './graph-client';
import type { Lease } from './lease';
import { markSkipped, pendingDownloadIds, removeItems, storeContent } from './sync-store';
import { SKIP_TOO_LARGE, type DownloadRequest, type GraphDriveItem } from './types';

export interface DownloaderOptions {
  db: PrismaClient;
  graph: GraphClient;
  lease: Lease;
  knowledgeBaseId: string;
  driveId: string;
  maxFileBytes: number;
  concurrency: number;
  clock: () => number;
  deadline?: number;
  logger: Logger;
}

export interface DownloadCounts {
  stored: number;
  skipped: number;
  removed: number;
}

export class Downloader {
  readonly counts: DownloadCounts = { stored: 0, skipped: 0, removed: 0 };

  constructor(private readonly o: DownloaderOptions) {}

  /** Runs the requests with bounded concurrency; the first failure stops the rest and is thrown. */
  async run(requests: readonly DownloadRequest[]): Promise<void> {
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < requests.length) {
        const request = requests[next++]!;
        try {
          await this.one(request);
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, requests.length) }, worker));
    if (failure !== undefined) throw failure;
  }

  /** Downloads every row still pending (left by an interrupted run), in batches. */
  async drainPending(): Promise<void> {
    for (let round = 0; ; round++) {
      const ids = await pendingDownloadIds(this.o.db, this.o.knowledgeBaseId, 50);
      if (ids.length === 0) return;
      // Each round stores, skips or removes every row it is given, or throws; the cap is a guard.
      if (round > 10_000) throw new Error('pending downloads do not drain');
      await this.run(ids.map((itemId) => ({ itemId, meta: { size: null, hash: null, eTag: null, cTag: null, lastModified: null, mimeType: null } })));
    }
  }

  /** A write to the item's row, only while the lease is ours (checked in the same transaction). */
  private write<T>(fn: (tx: DbTransaction) => Promise<T>): Promise<T> {
    return this.o.db.$transaction(async (tx) => {
      await this.o.lease.check(tx);
      return fn(tx);
    });
  }

  private async one(request: DownloadRequest): Promise<void> {
    const { graph, knowledgeBaseId, maxFileBytes } = this.o;
    if (this.o.deadline !== undefined && this.o.clock() >= this.o.deadline) throw new DeadlineReachedError();
    await this.o.lease.keepAlive();
    let url = request.downloadUrl;
    let meta = request.meta;
    for (let refreshed = false; ; refreshed = true) {
      if (url === undefined) {
        let item: GraphDriveItem;
        try {
          item = await graph.getItem(this.o.driveId, request.itemId);
        } catch (error) {
          if (error instanceof GraphError && error.status === 404) {
            // Gone upstream; the next delta reports the deletion too.
            this.counts.removed += await this.write((tx) => removeItems(tx, knowledgeBaseId, [request.itemId]));
            return;
          }
          throw error;
        }
        meta = contentMeta(item);
        url = item['@microsoft.graph.downloadUrl'];
        if (item.deleted || !item.file || url === undefined || (meta.size ?? 0) > maxFileBytes) {
          const reason = (meta.size ?? 0) > maxFileBytes ? SKIP_TOO_LARGE : 'no_content';
          await this.write((tx) => markSkipped(tx, knowledgeBaseId, request.itemId, reason, meta));
          this.counts.skipped++;
          return;
        }
      }
      try {
        const content = await graph.download(url, maxFileBytes, { beforeAttempt: () => this.o.lease.keepAlive() });
        if (content === null) {
          await this.write((tx) => markSkipped(tx, knowledgeBaseId, request.itemId, SKIP_TOO_LARGE, meta));
          this.counts.skipped++;
        } else if (await this.write((tx) => storeContent(tx, knowledgeBaseId, request.itemId, content, meta))) {
          this.counts.stored++;
        }
        return;
      } catch (error) {
        if (!(error instanceof DownloadError)) throw error;
        if ((error.failure === 'expired' || error.failure === 'gone') && !refreshed) {
          url = undefined;
          continue;
        }
        if (error.failure === 'fatal') {
          this.o.logger.warn({ itemId: request.itemId, status: error.status }, 'download refused, file skipped');
          await this.write((tx) => markSkipped(tx, knowledgeBaseId, request.itemId, 'download_failed', meta));
          this.counts.skipped++;
          return;
        }
        // Status 0: a transient failure of the download host, whatever it answered.
        throw new GraphError(0, 'download_unavailable');
      }
    }
  }
}
