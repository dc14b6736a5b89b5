// The Graph client on its own, against the drive emulator: Retry-After shared between workers
// through the cache, one token refresh per rejected request, bare downloads, and a bearer token
// that never leaves the Graph origin.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryCache, type Cache } from '@/lib/cache';
import { GraphClient, GraphError, ResyncRequiredError, isFolderDeltaUnsupported } from '@/lib/onedrive';
import { parseRetryAfter } from '@/lib/onedrive/backoff';
import { startDriveServer, type DriveServer } from './support/drive-server';

let server: DriveServer;
let cache: Cache;
let email: string;
let driveId: string;
let fileId: string;

beforeAll(async () => {
  server = await startDriveServer();
});
afterAll(() => server.close());

beforeEach(() => {
  cache = createMemoryCache();
  email = `u${Math.random().toString(36).slice(2)}@example.com`;
  driveId = server.drive.createDrive(email);
  fileId = server.drive.addFile(driveId, server.drive.rootId(driveId), 'a.txt', 'hello');
  server.drive.clearThrottling();
  server.drive.resetStats();
});

function client(options: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}): GraphClient {
  const token = server.issueToken(email);
  return new GraphClient({ baseUrl: server.graphUrl, getToken: async () => token, cache, throttleKey: `throttle:${email}`, ...options });
}

describe('throttling', () => {
  it('shares a Retry-After window between workers through the cache', async () => {
    server.drive.throttle({ status: 429, retryAfterSeconds: 1, times: 1 });
    let secondDone = 0;
    let second: Promise<unknown> | undefined;
    const b = client();
    const a = client({
      // While worker A sits out its window, worker B starts: it must wait too, not hit Graph early.
      sleep: async (ms) => {
        second ??= b.getItem(driveId, fileId).then(() => (secondDone = Date.now()));
        await new Promise((r) => setTimeout(r, ms));
      },
    });
    const started = Date.now();
    await a.getItem(driveId, fileId);
    await second;
    expect(secondDone - started).toBeGreaterThanOrEqual(1000);
    expect(server.drive.stats()).toMatchObject({ throttled: 1, throttledEarly: 0, itemGets: 2 });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('gives up after its attempts with a transient error carrying the wait', async () => {
    server.drive.throttle({ status: 503, retryAfterSeconds: 7, times: 10 });
    const error = await client({ maxAttempts: 2, sleep: async () => {} }).getItem(driveId, fileId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ status: 503, transient: true, retryAfterMs: expect.any(Number) });
  });

  it('stops before a wait that would cross its deadline', async () => {
    server.drive.throttle({ status: 429, retryAfterSeconds: 30, times: 1 });
    const error = await client({ deadline: Date.now() + 5_000 }).getItem(driveId, fileId).catch((e: unknown) => e);
    expect((error as Error).name).toBe('DeadlineReachedError');
  });
});

describe('tokens and downloads', () => {
  it('asks for a fresh token once when Graph rejects one, then fails if the new one is rejected too', async () => {
    const stale = server.issueToken(email);
    server.expireToken(stale);
    const asked: (string | undefined)[] = [];
    const good = client({
      getToken: async (opts) => {
        asked.push(opts?.rejectedToken);
        return opts?.rejectedToken ? server.issueToken(email) : stale;
      },
    });
    expect((await good.getItem(driveId, fileId)).name).toBe('a.txt');
    expect(asked).toEqual([undefined, stale]);

    const bad = client({ getToken: async () => stale });
    await expect(bad.getItem(driveId, fileId)).rejects.toMatchObject({ status: 401 });
  });

  it('downloads without an Authorization header, and refuses oversized content', async () => {
    const graph = client();
    const item = await graph.getItem(driveId, fileId);
    const url = item['@microsoft.graph.downloadUrl']!;
    expect((await graph.download(url, 100))!.toString()).toBe('hello');
    expect(await graph.download(url, 3)).toBeNull();
    expect(server.drive.stats()).toMatchObject({ downloads: 2, downloadsWithAuthHeader: 0 });
  });

  it('never sends the bearer token outside the Graph origin', async () => {
    const seen: string[] = [];
    const graph = client({ fetch: async (input) => (seen.push(String(input)), new Response('{}')) });
    await expect(graph.deltaPage('https://attacker.example/v1.0/delta')).rejects.toMatchObject({ code: 'unexpected_link' });
    expect(seen).toEqual([]);
  });

  it('turns a 410 into a resync with the Location to restart from', async () => {
    const folder = server.drive.addFolder(driveId, server.drive.rootId(driveId), 'KB');
    const graph = client();
    let page = await graph.deltaPage(graph.rootDeltaUrl(driveId));
    expect(page.deltaLink).toBeDefined();
    server.drive.invalidateDeltaLinks(driveId);
    const error = await graph.deltaPage(page.deltaLink!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResyncRequiredError);
    page = await graph.deltaPage((error as ResyncRequiredError).location!);
    expect(page.items.map((i) => i.id)).toContain(folder);
  });

  it('reports a business drive’s refusal of folder delta as a structured error', async () => {
    const folder = server.drive.addFolder(driveId, server.drive.rootId(driveId), 'KB');
    const graph = client();
    const error = await graph.deltaPage(graph.initialDeltaUrl(driveId, folder)).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 501, code: 'notSupported' });
    expect(isFolderDeltaUnsupported(error)).toBe(true);
    expect(isFolderDeltaUnsupported(new GraphError(501, 'notImplemented'))).toBe(false);
    expect(isFolderDeltaUnsupported(new GraphError(400, 'invalidRequest'))).toBe(false);
    expect(server.drive.stats().throttled).toBe(0);
  });

  it('pages through a folder’s children with the delta properties', async () => {
    const folder = server.drive.addFolder(driveId, server.drive.rootId(driveId), 'KB');
    for (let i = 0; i < 5; i++) server.drive.addFile(driveId, folder, `f${i}.txt`, `${i}`);
    server.drive.setPageSize(2);
    const graph = client();
    const items = [];
    let pages = 0;
    for (let url: string | undefined = graph.childrenUrl(driveId, folder); url; pages++) {
      const page = await graph.childrenPage(url);
      items.push(...page.items);
      url = page.nextLink;
    }
    server.drive.setPageSize(200);
    expect(pages).toBe(3);
    expect(items.map((i) => i.name)).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt']);
    expect(items[0]).toMatchObject({ parentReference: { id: folder }, file: { hashes: { quickXorHash: expect.any(String) } } });
    expect(items[0]!['@microsoft.graph.downloadUrl']).toMatch(/\/download\//);
  });
});
