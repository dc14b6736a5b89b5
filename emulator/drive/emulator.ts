// The Graph drive surface: drives owned by users, driveItems, children, delta with paging and
// deltaLinks (on any folder of a personal drive, only on the root of a business one), 410 resync,
// throttling, and pre-authenticated downloads. The emulator's HTTP server
// offers it every request under /v1.0/ (except /v1.0/me) and /download/, with the caller resolved
// from a Graph-audience bearer token. Tests drive it through the controls below.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { graphError } from '../errors';
import { deltaItemIds } from './delta';
import { LinkRegistry } from './links';
import { DOWNLOAD_URL, parseSelect, renderItem } from './render';
import { DriveStore, type DriveFlavor, type DriveRecord, type ItemRecord } from './store';
import { Throttler, type ThrottleOptions } from './throttle';

export interface GraphCaller {
  email: string;
  oid: string;
  scopes: string[];
}

export interface DriveEmulatorOptions {
  /** The emulator's base URL (http://127.0.0.1:PORT), for nextLink/deltaLink/download URLs. */
  baseUrl: () => string;
  /** Record a secret the emulator hands out (download URLs carry one), for the suite's log scan. */
  recordSecret: (secret: string) => void;
}

export interface DriveStats {
  /** Every request under /v1.0 this surface answered (including errors and throttling). */
  graphRequests: number;
  deltaPages: number;
  /** Delta requests refused because a business drive only answers delta on its root. */
  deltaRefused: number;
  itemGets: number;
  childrenGets: number;
  downloads: number;
  downloadsWithAuthHeader: number;
  throttled: number;
  /** Requests that came back before the Retry-After they were given had passed. */
  throttledEarly: number;
  unauthorized: number;
  resyncs: number;
}

/** An item as tests see it; `path` is relative to the folder the snapshot was taken of. */
export interface DriveEntry {
  id: string;
  parentId: string | null;
  name: string;
  path: string;
  isFolder: boolean;
  size: number;
  hash: string | null;
  content: Buffer;
}

const READ_SCOPES = ['Files.Read', 'Files.Read.All', 'Files.ReadWrite', 'Files.ReadWrite.All', 'Sites.Read.All', 'Sites.ReadWrite.All'];
const DEFAULT_PAGE_SIZE = 200;
const DEFAULT_DOWNLOAD_TTL_MS = 60 * 60 * 1000;

const emptyStats = (): DriveStats => ({
  graphRequests: 0,
  deltaPages: 0,
  deltaRefused: 0,
  itemGets: 0,
  childrenGets: 0,
  downloads: 0,
  downloadsWithAuthHeader: 0,
  throttled: 0,
  throttledEarly: 0,
  unauthorized: 0,
  resyncs: 0,
});

type Target = { kind: 'drive' } | { kind: 'item'; item: ItemRecord; op: '' | 'children' | 'delta' | 'content' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const toBuffer = (content: string | Buffer) => (typeof content === 'string' ? Buffer.from(content, 'utf8') : content);

export class DriveEmulator {
  private readonly store = new DriveStore();
  private readonly links = new LinkRegistry();
  private readonly throttler = new Throttler();
  private counters = emptyStats();
  private pageSize = DEFAULT_PAGE_SIZE;
  private maxPageSize: number | null = null;
  private latencyMs = 0;
  private downloadTtlMs = DEFAULT_DOWNLOAD_TTL_MS;
  private deltaDownloadUrls = true;

  constructor(readonly options: DriveEmulatorOptions) {}

  // ── test controls ──────────────────────────────────────────────────────────────────────────

  /** A drive of `flavor` (default business: OneDrive for Business, delta on the root only). */
  createDrive(ownerEmail: string, options: { flavor?: DriveFlavor; name?: string } = {}): string {
    return this.store.createDrive(ownerEmail, options.flavor, options.name).id;
  }

  /**
   * A SharePoint site whose document libraries its members can read (GET /me/drives lists them
   * to each member). Returns Graph's composite site id.
   */
  createSite(input: { name: string; displayName?: string; members: string[] }): string {
    return this.store.createSite(input).id;
  }

  /** A document library (driveType documentLibrary) of a site; behaves as OneDrive for Business. */
  createLibrary(siteId: string, name: string): string {
    return this.store.createLibrary(siteId, name).id;
  }

  /**
   * Server-driven paging: collections answer at most `n` items per page whatever `$top` asks for,
   * as Graph may (null: `$top`, else the page size).
   */
  setMaxPageSize(n: number | null): void {
    if (n !== null && (!Number.isInteger(n) || n < 1)) throw new Error('max page size must be a positive integer');
    this.maxPageSize = n;
  }

  rootId(driveId: string): string {
    return this.store.drive(driveId).rootId;
  }

  addFolder(driveId: string, parentId: string, name: string): string {
    return this.store.addFolder(driveId, parentId, name).id;
  }

  addFile(driveId: string, parentId: string, name: string, content: string | Buffer, options: { mimeType?: string } = {}): string {
    return this.store.addFile(driveId, parentId, name, toBuffer(content), options.mimeType).id;
  }

  updateFile(driveId: string, itemId: string, content: string | Buffer): void {
    this.store.updateFile(driveId, itemId, toBuffer(content));
  }

  rename(driveId: string, itemId: string, name: string): void {
    this.store.rename(driveId, itemId, name);
  }

  move(driveId: string, itemId: string, newParentId: string, newName?: string): void {
    this.store.move(driveId, itemId, newParentId, newName);
  }

  remove(driveId: string, itemId: string): void {
    this.store.remove(driveId, itemId);
  }

  /** Every outstanding nextLink and deltaLink (of one drive, or all) answers 410 from now on. */
  invalidateDeltaLinks(driveId?: string): void {
    for (const drive of this.store.drives.values()) if (driveId === undefined || drive.id === driveId) drive.epoch++;
  }

  throttle(options: ThrottleOptions): void {
    this.throttler.add(options);
  }

  clearThrottling(): void {
    this.throttler.clear();
  }

  setPageSize(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new Error('page size must be a positive integer');
    this.pageSize = n;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** How long download URLs stay valid (Graph: about an hour). */
  setDownloadUrlTtl(ms: number): void {
    this.downloadTtlMs = ms;
  }

  /** Whether delta pages carry download URLs (Graph does not always include them). */
  setDeltaDownloadUrls(enabled: boolean): void {
    this.deltaDownloadUrls = enabled;
  }

  stats(): DriveStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = emptyStats();
  }

  /** The live items below `folderId` (default: the root), parents before children. */
  snapshot(driveId: string, folderId?: string): DriveEntry[] {
    const drive = this.store.drive(driveId);
    const out: DriveEntry[] = [];
    const walk = (parentId: string, prefix: string) => {
      for (const item of this.store.children(driveId, parentId)) {
        const path = prefix ? `${prefix}/${item.name}` : item.name;
        out.push(this.entry(drive, item, path));
        if (item.isFolder) walk(item.id, path);
      }
    };
    walk(folderId ?? drive.rootId, '');
    return out;
  }

  /** One live item (path relative to the drive's root), or undefined. */
  item(driveId: string, itemId: string): DriveEntry | undefined {
    const drive = this.store.drive(driveId);
    const item = this.store.live(driveId, itemId);
    if (!item) return undefined;
    const parentPath = this.store.parentPath(item)?.replace(/^\/drive\/root:\/?/, '') ?? '';
    const path = item.parentId === null ? '' : parentPath ? `${decodeURIComponent(parentPath)}/${item.name}` : item.name;
    return this.entry(drive, item, path);
  }

  private entry(drive: DriveRecord, item: ItemRecord, path: string): DriveEntry {
    const hashes = item.isFolder ? {} : this.store.hashes(drive, item);
    return {
      id: item.id,
      parentId: item.parentId,
      name: item.name,
      path,
      isFolder: item.isFolder,
      size: this.store.size(item),
      hash: hashes.quickXorHash ?? hashes.sha1Hash ?? null,
      content: item.content,
    };
  }

  // ── HTTP ───────────────────────────────────────────────────────────────────────────────────

  /** True when the request was handled (a response was sent). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, caller: GraphCaller | null): Promise<boolean> {
    const path = url.pathname;
    if (path.startsWith('/download/')) {
      await this.delay();
      this.serveDownload(req, res, path.slice('/download/'.length));
      return true;
    }
    const match = /^\/v1\.0\/(?:me\/drive|drives\/([^/]+))(\/.*)?$/.exec(path);
    const listDrives = path === '/v1.0/me/drives' || path === '/v1.0/me/drives/';
    if (!match && !listDrives) return false;
    this.counters.graphRequests++;
    await this.delay();
    try {
      if (req.method !== 'GET') throw new HttpError(405, 'invalidRequest', 'The HTTP method is not supported by this surface.');
      this.authorize(caller);
      this.applyThrottling('graph');
      if (!match) {
        this.serveDrives(res, url, caller!);
        return true;
      }
      const drive = this.resolveDrive(match[1] === undefined ? null : decodeURIComponent(match[1]), caller!);
      const target = this.resolveTarget(drive, match[2] ?? '');
      this.dispatch(req, res, url, drive, target);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.sendJson(res, error.status, graphError(error.code, error.message, header(req, 'client-request-id')), error.headers);
    }
    return true;
  }

  private delay(): Promise<void> {
    return this.latencyMs > 0 ? new Promise((r) => setTimeout(r, this.latencyMs)) : Promise.resolve();
  }

  private authorize(caller: GraphCaller | null): void {
    if (caller === null) {
      this.counters.unauthorized++;
      throw new HttpError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    }
    if (!caller.scopes.some((s) => READ_SCOPES.includes(s))) {
      throw new HttpError(403, 'accessDenied', 'Access denied. The token does not grant access to files.');
    }
  }

  private applyThrottling(kind: 'graph' | 'download'): void {
    const decision = this.throttler.check(kind, Date.now());
    if (!decision) return;
    this.counters.throttled++;
    if (decision.early) this.counters.throttledEarly++;
    const [code, message] =
      decision.status === 429
        ? ['activityLimitReached', 'The request has been throttled']
        : ['serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.'];
    throw new HttpError(decision.status, code, message, { 'Retry-After': String(decision.retryAfterSeconds) });
  }

  private resolveDrive(driveId: string | null, caller: GraphCaller): DriveRecord {
    const email = caller.email.toLowerCase();
    if (driveId === null) {
      const own = this.ownDrive(email);
      if (!own) throw new HttpError(404, 'itemNotFound', 'The user does not have a OneDrive.');
      return own;
    }
    const drive = this.store.drives.get(driveId);
    if (!drive) throw new HttpError(404, 'itemNotFound', 'The provided drive id appears to be malformed, or does not represent a valid drive.');
    if (!this.store.canRead(drive, email)) throw new HttpError(403, 'accessDenied', 'Access denied');
    return drive;
  }

  private resolveTarget(drive: DriveRecord, rest: string): Target {
    if (rest === '' || rest === '/') return { kind: 'drive' };
    const byId = /^\/items\/([^/:]+)(?:\/(children|delta|content))?$/.exec(rest);
    const byPath = /^\/root(?::([^:]*):?)?(?:\/(children|delta|content))?$/.exec(rest);
    let item: ItemRecord | undefined;
    let op: string | undefined;
    if (byId) {
      const id = decodeURIComponent(byId[1]!);
      item = this.store.live(drive.id, id === 'root' ? drive.rootId : id);
      op = byId[2];
    } else if (byPath) {
      item = byPath[1] ? this.store.byPath(drive.id, byPath[1]) : this.store.live(drive.id, drive.rootId);
      op = byPath[2];
    } else {
      throw new HttpError(400, 'invalidRequest', 'Resource not found for the segment.');
    }
    if (!item) throw new HttpError(404, 'itemNotFound', 'The resource could not be found.');
    return { kind: 'item', item, op: (op ?? '') as '' | 'children' | 'delta' | 'content' };
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, url: URL, drive: DriveRecord, target: Target): void {
    if (target.kind === 'drive') {
      this.sendJson(res, 200, this.renderDrive(drive, parseSelect(url.searchParams.get('$select'))));
      return;
    }
    const { item, op } = target;
    switch (op) {
      case '':
        this.counters.itemGets++;
        this.sendJson(res, 200, this.render(drive, item, false, parseSelect(url.searchParams.get('$select'))));
        return;
      case 'children':
        this.counters.childrenGets++;
        this.serveChildren(res, url, drive, item);
        return;
      case 'delta':
        if (drive.flavor === 'business' && item.parentId !== null) {
          // OneDrive for Business and SharePoint track changes of the whole drive only; Graph
          // answers a folder's delta with 501 notSupported (consumer OneDrive answers it).
          this.counters.deltaRefused++;
          throw new HttpError(501, 'notSupported', 'view.delta can only be called on the root.');
        }
        this.counters.deltaPages++;
        this.serveDelta(req, res, url, drive, item);
        return;
      case 'content': {
        this.counters.itemGets++;
        if (item.isFolder) throw new HttpError(404, 'itemNotFound', 'The item has no content.');
        res.writeHead(302, { Location: this.issueDownloadUrl(drive, item) }).end();
        return;
      }
    }
  }

  /** The user's own OneDrive (the first created), never a library. */
  private ownDrive(email: string): DriveRecord | undefined {
    return [...this.store.drives.values()].find((d) => d.siteId === null && d.ownerEmail === email);
  }

  private renderDrive(drive: DriveRecord, select: Set<string> | null = null, withContext = true): Record<string, unknown> {
    const site = drive.siteId === null ? undefined : this.store.sites.get(drive.siteId);
    const all: Record<string, () => unknown> = {
      id: () => drive.id,
      name: () => drive.name,
      description: () => '',
      driveType: () => drive.driveType,
      createdDateTime: () => drive.createdAt.toISOString(),
      lastModifiedDateTime: () => drive.createdAt.toISOString(),
      webUrl: () =>
        site ? `${site.webUrl}/${encodeURIComponent(drive.name)}` : `https://contoso-my.sharepoint.com/personal/${encodeURIComponent(drive.ownerEmail.replace(/[@.]/g, '_'))}/Documents`,
      // Libraries belong to the site; SharePoint names its service account as their owner.
      owner: () => (site ? { user: { displayName: 'System Account' } } : { user: { email: drive.ownerEmail, displayName: drive.ownerEmail } }),
    };
    const out: Record<string, unknown> = withContext ? { '@odata.context': `${this.options.baseUrl()}/v1.0/$metadata#drives/$entity` } : {};
    for (const [key, value] of Object.entries(all)) if (select === null || key === 'id' || select.has(key.toLowerCase())) out[key] = value();
    return out;
  }

  /** GET /me/drives: the drives available to the user: its own OneDrive and the libraries of its sites. */
  private serveDrives(res: ServerResponse, url: URL, caller: GraphCaller): void {
    const email = caller.email.toLowerCase();
    const own = this.ownDrive(email);
    const drives = [...this.store.drives.values()].filter((d) => d === own || (d.siteId !== null && this.store.canRead(d, email)));
    const select = parseSelect(url.searchParams.get('$select'));
    this.sendPage(res, url, drives, (d) => this.renderDrive(d, select, false), '#drives');
  }

  /** One page of a collection: `$top` (capped by the server's maximum) and a `$skiptoken` nextLink. */
  private sendPage<T>(res: ServerResponse, url: URL, all: T[], render: (value: T) => Record<string, unknown>, context: string): void {
    const asked = positiveInt(url.searchParams.get('$top')) ?? this.pageSize;
    const top = this.maxPageSize === null ? asked : Math.min(asked, this.maxPageSize);
    const skip = Math.max(0, Math.floor(Number(url.searchParams.get('$skiptoken') ?? 0)) || 0);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.options.baseUrl()}/v1.0/$metadata${context}`,
      value: all.slice(skip, skip + top).map(render),
    };
    if (skip + top < all.length) {
      const next = new URL(url.toString(), this.options.baseUrl());
      next.searchParams.set('$skiptoken', String(skip + top));
      body['@odata.nextLink'] = this.absolute(next);
    }
    this.sendJson(res, 200, body);
  }

  private render(drive: DriveRecord, item: ItemRecord, inDelta: boolean, select: Set<string> | null): Record<string, unknown> {
    return renderItem(item, {
      store: this.store,
      drive,
      inDelta,
      select: inDelta && !this.deltaDownloadUrls ? withoutDownloadUrl(select) : select,
      downloadUrl: (file) => this.issueDownloadUrl(drive, file),
    });
  }

  private serveChildren(res: ServerResponse, url: URL, drive: DriveRecord, folder: ItemRecord): void {
    const select = parseSelect(url.searchParams.get('$select'));
    this.sendPage(res, url, this.store.children(drive.id, folder.id), (c) => this.render(drive, c, false, select), '#Collection(driveItem)');
  }

  private serveDelta(req: IncomingMessage, res: ServerResponse, url: URL, drive: DriveRecord, scope: ItemRecord): void {
    const tokenParam = url.searchParams.get('token');
    const select = parseSelect(url.searchParams.get('$select'));
    const pageSize = positiveInt(url.searchParams.get('$top')) ?? this.pageSize;
    const link = (token: string) => {
      const next = new URL(`/v1.0/drives/${encodeURIComponent(drive.id)}/items/${encodeURIComponent(scope.id)}/delta`, this.options.baseUrl());
      for (const key of ['$select', '$top']) {
        const value = url.searchParams.get(key);
        if (value !== null) next.searchParams.set(key, value);
      }
      if (token) next.searchParams.set('token', token);
      return this.absolute(next);
    };
    const deltaLink = (since: number) =>
      link(this.links.issueToken({ kind: 'delta', driveId: drive.id, scopeId: scope.id, epoch: drive.epoch, since }));

    if (tokenParam === 'latest') {
      this.sendJson(res, 200, { ...this.collection(), value: [], '@odata.deltaLink': deltaLink(drive.seq) });
      return;
    }

    let walkId: string;
    let offset = 0;
    if (tokenParam === null) {
      walkId = this.links.startWalk(this.changes(req, drive, scope, null), drive.seq);
    } else {
      const token = this.links.token(tokenParam);
      const walk = token?.kind === 'page' ? this.links.walk(token.walkId) : undefined;
      const valid = token && token.driveId === drive.id && token.scopeId === scope.id && token.epoch === drive.epoch;
      if (!token || !valid || (token.kind === 'page' && !walk)) {
        this.counters.resyncs++;
        throw new HttpError(
          410,
          'resyncRequired',
          "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
          { Location: link('') },
        );
      }
      if (token.kind === 'page') {
        walkId = token.walkId;
        offset = token.offset;
      } else {
        walkId = this.links.startWalk(this.changes(req, drive, scope, token.since), drive.seq);
      }
    }

    const walk = this.links.walk(walkId)!;
    const ids = walk.ids.slice(offset, offset + pageSize);
    const value = ids.map((id) => this.render(drive, this.store.items.get(id)!, true, select));
    const body: Record<string, unknown> = { ...this.collection(), value };
    if (offset + pageSize < walk.ids.length) {
      const token = this.links.issueToken({ kind: 'page', driveId: drive.id, scopeId: scope.id, epoch: drive.epoch, walkId, offset: offset + pageSize });
      body['@odata.nextLink'] = link(token);
    } else {
      body['@odata.deltaLink'] = deltaLink(walk.upTo);
    }
    this.sendJson(res, 200, body);
  }

  private changes(req: IncomingMessage, drive: DriveRecord, scope: ItemRecord, since: number | null): string[] {
    const excludeParents = header(req, 'deltaexcludeparent') !== undefined;
    return deltaItemIds(this.store, { driveId: drive.id, scope, since, excludeParents });
  }

  private collection(): Record<string, unknown> {
    return { '@odata.context': `${this.options.baseUrl()}/v1.0/$metadata#Collection(driveItem)` };
  }

  private issueDownloadUrl(drive: DriveRecord, item: ItemRecord): string {
    const opaque = randomBytes(32).toString('base64url');
    this.options.recordSecret(opaque);
    this.links.grantDownload(opaque, {
      driveId: drive.id,
      itemId: item.id,
      content: item.content,
      mimeType: item.mimeType,
      expiresAt: Date.now() + this.downloadTtlMs,
    });
    return `${this.options.baseUrl()}/download/${opaque}`;
  }

  private serveDownload(req: IncomingMessage, res: ServerResponse, opaque: string): void {
    this.counters.downloads++;
    if (req.headers.authorization !== undefined) this.counters.downloadsWithAuthHeader++;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'invalidRequest', 'Method not allowed.');
      this.applyThrottling('download');
      const grant = this.links.download(opaque, Date.now());
      if (!grant) throw new HttpError(401, 'unauthenticated', 'The download URL is invalid or has expired.');
      res.writeHead(200, { 'Content-Type': grant.mimeType, 'Content-Length': String(grant.content.length) });
      res.end(req.method === 'HEAD' ? undefined : grant.content);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.sendJson(res, error.status, graphError(error.code, error.message), error.headers);
    }
  }

  private absolute(url: URL): string {
    // URLSearchParams encodes '$' as %24; Graph's own links keep it literal.
    return url.toString().replace(/%24/g, '$');
  }

  private sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function positiveInt(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

function withoutDownloadUrl(select: Set<string> | null): Set<string> | null {
  const all = ['id', 'name', 'etag', 'ctag', 'size', 'createddatetime', 'lastmodifieddatetime', 'parentreference', 'root', 'folder', 'file', 'deleted'];
  const base = select ?? new Set(all);
  return new Set([...base].filter((k) => k !== DOWNLOAD_URL.toLowerCase()));
}
