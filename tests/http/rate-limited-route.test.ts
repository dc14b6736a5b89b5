// One rate-limited route end to end through its handler: POST /api/mail/accounts (a password
// login attempt per call) with the session and the mail domain stubbed.
import { beforeEach, expect, it, vi } from 'vitest';

const state = vi.hoisted(() => ({ userId: 'ada' }));
const mail = vi.hoisted(() => ({ addPasswordAccount: vi.fn(async () => ({ id: 'acc-1' })), listAccounts: vi.fn(async () => []) }));
vi.mock('@/lib/auth/session', () => ({ requireUserId: async () => state.userId }));
vi.mock('@/lib/mail', () => mail);
vi.mock('@/lib/cache', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/lib/cache')>();
  const cache = real.createMemoryCache();
  return { ...real, getCache: () => cache };
});

import { POST } from '@/app/api/mail/accounts/route';
import { RATE_LIMITS } from '@/lib/http/rate-limit';

const context = { params: Promise.resolve({}) };
const attempt = () =>
  POST(new Request('http://localhost/api/mail/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), context);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 0, 0));
});

it('POST /api/mail/accounts: 10 attempts per user per 10 minutes, then 400 with Retry-After; others unaffected', async () => {
  expect(RATE_LIMITS.passwordLogin).toMatchObject({ limit: 10, windowSeconds: 600 });
  for (let i = 0; i < 10; i++) expect((await attempt()).status).toBe(201);
  expect(mail.addPasswordAccount).toHaveBeenCalledTimes(10);

  vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 1, 0));
  const refused = await attempt();
  expect(refused.status).toBe(400);
  expect(refused.headers.get('retry-after')).toBe('540');
  expect(await refused.json()).toEqual({ error: { code: 'invalid_request', message: 'Too many requests; try again in 540 seconds' } });
  // The login was never attempted.
  expect(mail.addPasswordAccount).toHaveBeenCalledTimes(10);

  state.userId = 'bob';
  expect((await attempt()).status).toBe(201);

  state.userId = 'ada';
  vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 10, 0));
  expect((await attempt()).status).toBe(201);
});
