// The cron route's authorization, through the one wrapper and through the route module itself.
import { afterEach, describe, expect, it, vi } from 'vitest';

// Spy on the constant-time compare while keeping the real one.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

import { timingSafeEqual } from 'node:crypto';
import { authorizeCron, cronRoute, cronBudget, type CronAuthConfig } from '@/lib/cron';
import { GET, POST, maxDuration } from '@/app/api/cron/refresh/route';

const SECRET = 'cron-secret-0123456789abcdef';
const production: CronAuthConfig = { secret: SECRET, nodeEnv: 'production' };
const url = 'http://localhost/api/cron/refresh';

function request(headers: Record<string, string> = {}, method = 'GET'): Request {
  return new Request(url, { method, headers });
}

function handler(config: CronAuthConfig) {
  const run = vi.fn(async () => ({ refreshed: 0, failed: 0, needsReauth: 0, syncs: { run: 0, failed: 0 }, durationMs: 1, more: false }));
  return { run, handle: cronRoute(run, { auth: () => config }) };
}

afterEach(() => {
  vi.mocked(timingSafeEqual).mockClear();
});

describe('cron authorization', () => {
  it('answers 401 in SPEC shape without a header or with a wrong secret, and never runs', async () => {
    const { run, handle } = handler(production);
    const cases: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${SECRET}` }, { authorization: `Bearer ${SECRET}x` }, { authorization: SECRET }];
    for (const headers of cases) {
      const response = await handle(request(headers));
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unauthenticated');
      expect(JSON.stringify(body)).not.toContain(SECRET);
    }
    expect(run).not.toHaveBeenCalled();
  });

  it('runs with the right secret, by GET or POST, and answers the summary', async () => {
    const { run, handle } = handler(production);
    const get = await handle(request({ authorization: `Bearer ${SECRET}` }));
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ refreshed: 0, failed: 0, needsReauth: 0, syncs: { run: 0, failed: 0 }, more: false });
    const post = await handle(request({ authorization: `bearer ${SECRET}` }, 'POST'));
    expect(post.status).toBe(200);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('compares in constant time over equal-length digests, whatever the presented length', () => {
    for (const presented of ['x', 'wrong', SECRET, `${SECRET}${'y'.repeat(100)}`]) {
      try {
        authorizeCron(request({ authorization: `Bearer ${presented}` }), production);
      } catch {
        // 401 for all but the right one
      }
    }
    const calls = vi.mocked(timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(4);
    for (const [a, b] of calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('refuses to run without CRON_SECRET outside development, with a clear message', async () => {
    for (const nodeEnv of ['production', 'test'] as const) {
      const { run, handle } = handler({ secret: undefined, nodeEnv });
      const response = await handle(request({ authorization: 'Bearer anything' }));
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/CRON_SECRET is not configured/);
      expect(run).not.toHaveBeenCalled();
    }
    const dev = handler({ secret: undefined, nodeEnv: 'development' });
    expect((await dev.handle(request())).status).toBe(200);
  });

  it('maps a failing run to a generic 500 without internals', async () => {
    const handle = cronRoute(async () => {
      throw new Error('connection to postgresql://user:pw@db failed');
    }, { auth: () => production });
    const response = await handle(request({ authorization: `Bearer ${SECRET}` }));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('postgresql');
  });

  it('the route module refuses unauthenticated calls on GET and POST', async () => {
    // The suite runs without CRON_SECRET (NODE_ENV=test): refused whatever the header says.
    for (const method of [GET, POST]) {
      expect((await method(request())).status).toBe(401);
      expect((await method(request({ authorization: 'Bearer guess' }))).status).toBe(401);
    }
  });

  it('derives a budget that stops well before maxDuration', () => {
    const { budgetMs, drainMs } = cronBudget({ maxDurationSeconds: maxDuration, budgetSeconds: 40 });
    expect(budgetMs).toBeLessThanOrEqual(40_000);
    expect(budgetMs + drainMs).toBeLessThan(maxDuration * 1000 - 5_000);
    expect(cronBudget({ maxDurationSeconds: 300, budgetSeconds: 40 }).budgetMs).toBe(40_000);
  });
});
