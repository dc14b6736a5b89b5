// The few Graph calls the sync makes: delta pages (of the linked folder, or of the drive root where
// folder delta is refused), children pages, one item, and downloads; and the folder picker's
// drive and children listings (getJson, childrenPage).
//
// - 429/503 with Retry-After: wait that long plus jitter; the window is written to the Cache under
//   a per-account key, so every worker syncing for that account holds off, not just this one.
// - 401: the access token expired or was revoked mid-sync; ask the token layer once for a token
//   other than the rejected one and retry.
// - Downloads go to the pre-authenticated downloadUrl with no Authorization header at all.
// - The bearer token is only ever sent to the configured Graph origin, whatever a link says.
import type { Logger } from 'pino';
import type { Cache } from '../cache/types';
import { backoffMs, jitterMs, parseRetryAfter } from './backoff';
import { DeadlineReachedError, DownloadError, GraphError, ResyncRequiredError } from './errors';
import type { GetGraphToken, GraphDriveItem } from './types';
import { telemetry } from '../telemetry';

/** What the sync needs of each item; Graph returns nothing else. */
export const DELTA_SELECT = [
  'id',
  'name',
  'deleted',
  'file',
  'folder',
  'parentReference',
  'eTag',
  'cTag',
  'size',
  'lastModifiedDateTime',
  '@microsoft.graph.downloadUrl',
].join(',');

export interface GraphClientOptions {
  /** MICROSOFT_GRAPH_URL, e.g. https://graph.microsoft.com/v1.0 */
  baseUrl: string;
  getToken: GetGraphToken;
  cache: Cache;
  /** Cache key of the Retry-After window shared by everyone calling Graph for this account. */
  throttleKey: string;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
  /** Epoch ms; a wait that would cross it throws DeadlineReachedError instead. */
  deadline?: number;
  /** Attempts per request for throttling, 5xx and network failures. */
  maxAttempts?: number;
  /** Per API request (default 60 s); downloads get five times as long for large files. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface DeltaPage {
  items: GraphDriveItem[];
  nextLink?: string;
  deltaLink?: string;
}

export interface ChildrenPage {
  items: GraphDriveItem[];
  nextLink?: string;
}

export interface GraphCounts {
  requests: number;
  downloads: number;
  throttled: number;
  tokenRefreshes: number;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

async function errorCode(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : `http_${res.status}`;
  } catch {
    return `http_${res.status}`;
  }
}

function isDriveItem(v: unknown): v is GraphDriveItem {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';
}

export class GraphClient {
  readonly counts: GraphCounts = { requests: 0, downloads: 0, throttled: 0, tokenRefreshes: 0 };
  private readonly base: string;
  private readonly origin: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: GraphClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.base).origin;
    this.now = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  initialDeltaUrl(driveId: string, folderId: string): string {
    return `${this.base}/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(folderId)}/delta?$select=${DELTA_SELECT}`;
  }

  /** Delta of the whole drive: the only delta OneDrive for Business and SharePoint answer. */
  rootDeltaUrl(driveId: string): string {
    return `${this.base}/drives/${encodeURIComponent(driveId)}/root/delta?$select=${DELTA_SELECT}`;
  }

  childrenUrl(driveId: string, folderId: string): string {
    return `${this.base}/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(folderId)}/children?$select=${DELTA_SELECT}`;
  }

  async deltaPage(url: string): Promise<DeltaPage> {
    const res = await this.send(url, true);
    if (res.status === 410) {
      const location = res.headers.get('location');
      await res.body?.cancel();
      throw new ResyncRequiredError(location !== null && this.isGraphUrl(location) ? location : undefined);
    }
    if (!res.ok) throw new GraphError(res.status, await errorCode(res));
    const body = (await res.json()) as { value?: unknown; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown };
    if (!Array.isArray(body.value)) throw new GraphError(res.status, 'malformed_response');
    const page: DeltaPage = { items: body.value.filter(isDriveItem) };
    if (typeof body['@odata.nextLink'] === 'string') page.nextLink = body['@odata.nextLink'];
    else if (typeof body['@odata.deltaLink'] === 'string') page.deltaLink = body['@odata.deltaLink'];
    else throw new GraphError(res.status, 'malformed_response');
    return page;
  }

  /** One page of a folder's children (childrenUrl, then each nextLink). */
  async childrenPage(url: string): Promise<ChildrenPage> {
    const res = await this.send(url, true);
    if (!res.ok) throw new GraphError(res.status, await errorCode(res));
    const body = (await res.json()) as { value?: unknown; '@odata.nextLink'?: unknown };
    if (!Array.isArray(body.value)) throw new GraphError(res.status, 'malformed_response');
    const page: ChildrenPage = { items: body.value.filter(isDriveItem) };
    if (typeof body['@odata.nextLink'] === 'string') page.nextLink = body['@odata.nextLink'];
    return page;
  }

  /** An absolute URL under the configured Graph base: `url('/me/drive')`. */
  url(path: string): string {
    return `${this.base}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** One Graph JSON answer (an object, or one page of a collection) by URL on the Graph origin. */
  async getJson<T>(url: string): Promise<T> {
    const res = await this.send(url, true);
    if (!res.ok) throw new GraphError(res.status, await errorCode(res));
    const body = (await res.json()) as unknown;
    if (typeof body !== 'object' || body === null) throw new GraphError(res.status, 'malformed_response');
    return body as T;
  }

  async getItem(driveId: string, itemId: string): Promise<GraphDriveItem> {
    const url = `${this.base}/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(itemId)}?$select=${DELTA_SELECT}`;
    const res = await this.send(url, true);
    if (!res.ok) throw new GraphError(res.status, await errorCode(res));
    return (await res.json()) as GraphDriveItem;
  }

  /**
   * The content, or null when it turns out larger than maxBytes (the metadata understated it).
   * `beforeAttempt` runs before every attempt, after any wait (the sync renews its lease there).
   */
  async download(url: string, maxBytes: number, options: { beforeAttempt?: () => Promise<void> } = {}): Promise<Buffer | null> {
    let res: Response;
    try {
      res = await this.send(url, false, options.beforeAttempt);
    } catch (error) {
      if (error instanceof GraphError) throw new DownloadError('transient', error.status);
      throw error;
    }
    if (!res.ok) {
      await res.body?.cancel();
      const failure = res.status === 404 ? 'gone' : [401, 403, 410].includes(res.status) ? 'expired' : 'fatal';
      throw new DownloadError(failure, res.status);
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      return null;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel();
          return null;
        }
        chunks.push(value);
      }
    }
    return Buffer.concat(chunks);
  }

  private isGraphUrl(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }

  private async pause(ms: number): Promise<void> {
    if (this.options.deadline !== undefined && this.now() + ms > this.options.deadline) throw new DeadlineReachedError();
    if (ms > 0) await this.sleep(ms);
  }

  /** Holds off while another worker's (or our own) Retry-After window for this account is open. */
  private async waitForSharedWindow(): Promise<void> {
    const until = Number(await this.options.cache.get(this.options.throttleKey));
    const now = this.now();
    if (Number.isFinite(until) && until > now) await this.pause(until - now + jitterMs(until - now, this.random));
  }

  private async openSharedWindow(ms: number): Promise<void> {
    const until = this.now() + ms;
    const current = Number(await this.options.cache.get(this.options.throttleKey));
    if (!Number.isFinite(current) || current < until) await this.options.cache.set(this.options.throttleKey, String(until), Math.max(1, ms));
  }

  /** One HTTP request to Graph (or a download), as a span with its status code. */
  private tracedFetch(url: string, init: RequestInit, info: { authorized: boolean; attempt: number }): Promise<Response> {
    return telemetry.traced('mailbridge.graph.request', { 'mailbridge.graph.kind': info.authorized ? 'api' : 'download', 'mailbridge.graph.attempt': info.attempt }, async () => {
      const answer = await this.fetch(url, init);
      telemetry.annotate({ 'http.response.status_code': answer.status });
      return answer;
    });
  }

  private async send(url: string, authorized: boolean, beforeAttempt?: () => Promise<void>): Promise<Response> {
    if (authorized && !this.isGraphUrl(url)) throw new GraphError(0, 'unexpected_link');
    const maxAttempts = this.options.maxAttempts ?? 6;
    let token: string | undefined;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      await this.waitForSharedWindow();
      await beforeAttempt?.();
      // Asked per request: the token layer hands back its cached token while fresh and refreshes
      // ahead of expiry, so a long sync rarely meets a 401 at all.
      if (authorized) token ??= await this.options.getToken();
      let res: Response;
      try {
        if (authorized) this.counts.requests++;
        else this.counts.downloads++;
        res = await this.tracedFetch(url, {
          headers: authorized ? { Authorization: `Bearer ${token}`, Accept: 'application/json' } : {},
          // The bearer token never follows a redirect: Graph's JSON endpoints do not redirect, so
          // one is answered as an error rather than trusted.
          redirect: authorized ? 'manual' : 'follow',
          signal: AbortSignal.timeout((this.options.timeoutMs ?? 60_000) * (authorized ? 1 : 5)),
        }, { authorized, attempt });
      } catch (error) {
        const code = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network';
        if (attempt >= maxAttempts) throw new GraphError(0, code);
        this.options.logger?.warn({ code, attempt }, 'graph request failed, retrying');
        await this.pause(backoffMs(attempt, this.random));
        continue;
      }

      if (authorized && res.status === 401 && !refreshed) {
        await res.body?.cancel();
        refreshed = true;
        this.counts.tokenRefreshes++;
        this.options.logger?.info('graph rejected the access token, asking for a fresh one');
        token = await this.options.getToken({ rejectedToken: token });
        attempt--;
        continue;
      }

      if (!RETRYABLE.has(res.status)) return res;
      this.counts.throttled++;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      const code = await errorCode(res);
      if (retryAfterMs !== undefined && (res.status === 429 || res.status === 503)) await this.openSharedWindow(retryAfterMs);
      if (attempt >= maxAttempts) throw new GraphError(res.status, code, retryAfterMs);
      this.options.logger?.warn({ status: res.status, code, retryAfterMs, attempt }, 'graph throttled or unavailable, backing off');
      await this.pause(retryAfterMs !== undefined ? retryAfterMs + jitterMs(retryAfterMs, this.random) : backoffMs(attempt, this.random));
    }
  }
}
