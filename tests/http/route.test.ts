// The route wrapper with plain Request objects: cross-site refusal before anything runs, and
// readJson's Content-Type check.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const session = vi.hoisted(() => ({ requireUserId: vi.fn(async () => 'user-1') }));
vi.mock('@/lib/auth/session', () => session);

import { publicBaseUrl } from '@/lib/env';
import { unauthenticated } from '@/lib/errors';
import { isJsonContentType, readJson } from '@/lib/http/body';
import { json } from '@/lib/http/respond';
import { publicRoute, route } from '@/lib/http/route';
import { isCrossSiteRequest } from '@/lib/http/same-origin';

const APP_ORIGIN = new URL(publicBaseUrl()).origin;
const context = { params: Promise.resolve({}) };

const stateChange = vi.fn(async (_body: unknown) => undefined);
const POST = route({}, async ({ request, userId }) => {
  const body = await readJson(request, z.object({ name: z.string() }));
  await stateChange(body);
  return json({ userId, ...body }, { status: 201 });
});
const DELETE = route({}, async () => {
  await stateChange(undefined);
  return new Response(null, { status: 204 });
});
const GET = route({}, async ({ userId }) => json({ userId }));

function request(method: string, headers: Record<string, string> = {}, body?: string): Request {
  return new Request(`${APP_ORIGIN}/api/things`, { method, headers, ...(body === undefined ? {} : { body }) });
}
const jsonBody = (headers: Record<string, string> = {}) =>
  request('POST', { 'content-type': 'application/json', ...headers }, JSON.stringify({ name: 'x' }));

beforeEach(() => {
  stateChange.mockClear();
  session.requireUserId.mockClear();
});

describe('cross-site requests', () => {
  it('refuses a POST whose Origin is another site, before the session or the handler runs', async () => {
    const response = await POST(jsonBody({ origin: 'https://evil.example' }), context);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'invalid_request', message: 'Cross-site request refused' } });
    expect(session.requireUserId).not.toHaveBeenCalled();
    expect(stateChange).not.toHaveBeenCalled();
  });

  it('refuses DELETE from another site and an opaque (null) Origin', async () => {
    expect((await DELETE(request('DELETE', { origin: 'https://evil.example' }), context)).status).toBe(400);
    expect((await DELETE(request('DELETE', { origin: 'null' }), context)).status).toBe(400);
    expect(stateChange).not.toHaveBeenCalled();
  });

  it('refuses an Origin that differs only in scheme or port', async () => {
    const url = new URL(APP_ORIGIN);
    const otherScheme = `${url.protocol === 'https:' ? 'http' : 'https'}://${url.host}`;
    const otherPort = `${url.protocol}//${url.hostname}:${Number(url.port || 80) + 1}`;
    for (const origin of [otherScheme, otherPort]) {
      expect((await POST(jsonBody({ origin }), context)).status).toBe(400);
    }
    expect(stateChange).not.toHaveBeenCalled();
  });

  it('accepts a POST from the app’s own origin', async () => {
    const response = await POST(jsonBody({ origin: APP_ORIGIN, 'sec-fetch-site': 'same-origin' }), context);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ userId: 'user-1', name: 'x' });
    expect(stateChange).toHaveBeenCalledTimes(1);
  });

  it('accepts a POST without Origin or Sec-Fetch-Site (non-browser clients)', async () => {
    expect((await POST(jsonBody(), context)).status).toBe(201);
    expect(stateChange).toHaveBeenCalledTimes(1);
  });

  it('without Origin, goes by Sec-Fetch-Site: same-origin and none pass, cross-site and same-site do not', async () => {
    expect((await POST(jsonBody({ 'sec-fetch-site': 'cross-site' }), context)).status).toBe(400);
    expect((await POST(jsonBody({ 'sec-fetch-site': 'same-site' }), context)).status).toBe(400);
    expect(stateChange).not.toHaveBeenCalled();
    expect((await POST(jsonBody({ 'sec-fetch-site': 'same-origin' }), context)).status).toBe(201);
    expect((await POST(jsonBody({ 'sec-fetch-site': 'none' }), context)).status).toBe(201);
    expect(stateChange).toHaveBeenCalledTimes(2);
  });

  it('lets GET through whatever its origin (reads change nothing)', async () => {
    expect((await GET(request('GET', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), context)).status).toBe(200);
  });

  it('applies to public routes too', async () => {
    const handler = vi.fn(async () => json({ ok: true }));
    const publicPost = publicRoute({}, handler);
    expect((await publicPost(request('POST', { origin: 'https://evil.example' }), context)).status).toBe(400);
    expect(handler).not.toHaveBeenCalled();
  });

  it('without a session, a same-origin request is still a 401', async () => {
    session.requireUserId.mockRejectedValueOnce(unauthenticated());
    expect((await POST(jsonBody({ origin: APP_ORIGIN }), context)).status).toBe(401);
  });

  it('isCrossSiteRequest is pure over method and headers', () => {
    const at = (method: string, headers: Record<string, string>) => isCrossSiteRequest({ method, headers: new Headers(headers) }, 'https://app.example');
    expect(at('POST', { origin: 'https://app.example' })).toBe(false);
    expect(at('post', { origin: 'https://evil.example' })).toBe(true);
    expect(at('PATCH', { origin: 'https://app.example.evil.example' })).toBe(true);
    expect(at('HEAD', { origin: 'https://evil.example' })).toBe(false);
    // Origin decides when present, even if Sec-Fetch-Site says otherwise.
    expect(at('POST', { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(at('POST', {})).toBe(false);
  });
});

describe('readJson Content-Type', () => {
  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json; charset=latin1'])(
    'refuses %s with a 400 and changes nothing',
    async (type) => {
      const response = await POST(request('POST', { 'content-type': type, origin: APP_ORIGIN }, JSON.stringify({ name: 'x' })), context);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: 'invalid_request', message: 'Content-Type must be application/json' } });
      expect(stateChange).not.toHaveBeenCalled();
    },
  );

  it('refuses a body without a Content-Type', async () => {
    const response = await POST(request('POST', {}, JSON.stringify({ name: 'x' })), context);
    expect(response.status).toBe(400);
    expect(stateChange).not.toHaveBeenCalled();
  });

  it('accepts application/json with or without a UTF-8 charset', async () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=UTF-8')).toBe(true);
    expect(isJsonContentType('application/json;charset="utf-8"')).toBe(true);
    expect(isJsonContentType(null)).toBe(false);
    const response = await readJson(
      new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"name":"y"}' }),
      z.object({ name: z.string() }),
    );
    expect(response).toEqual({ name: 'y' });
  });
});

describe('HEAD', () => {
  it('answers with the GET handler’s status and headers, and cancels its body', async () => {
    const cancelled = vi.fn();
    const pulled = vi.fn();
    const STREAM = route({}, async () =>
      new Response(new ReadableStream({ pull: pulled, cancel: cancelled }, { highWaterMark: 0 }), { status: 200, headers: { 'content-disposition': 'attachment; filename="a.bin"' } }),
    );
    const response = await STREAM(request('HEAD'), context);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="a.bin"');
    expect(response.body).toBeNull();
    expect(cancelled).toHaveBeenCalledOnce();
    expect(pulled).not.toHaveBeenCalled();
    // A GET keeps its body.
    const get = await STREAM(request('GET'), context);
    expect(get.body).not.toBeNull();
    expect(cancelled).toHaveBeenCalledOnce();
  });
});
