// POST /api/mail/accounts/{id}/send end to end through its handler, with the session and the mail
// domain stubbed: 202 with the message id, and the per-user send limit (60 per 10 minutes) refusing
// the 61st before anything is submitted.
import { beforeEach, expect, it, vi } from 'vitest';

const state = vi.hoisted(() => ({ userId: 'ada' }));
const mail = vi.hoisted(() => ({ sendMessage: vi.fn(async () => ({ messageId: '<m@contoso.example>', rejected: [] })) }));
vi.mock('@/lib/auth/session', () => ({ requireUserId: async () => state.userId }));
vi.mock('@/lib/mail', () => mail);
vi.mock('@/lib/cache', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/lib/cache')>();
  const cache = real.createMemoryCache();
  return { ...real, getCache: () => cache };
});

import { POST } from '@/app/api/mail/accounts/[id]/send/route';
import { RATE_LIMITS } from '@/lib/http/rate-limit';

const context = { params: Promise.resolve({ id: 'acc-1' }) };
const body = JSON.stringify({ to: ['bob@contoso.example'], subject: 'Hi', text: 'x' });
const attempt = () => POST(new Request('http://localhost/api/mail/accounts/acc-1/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), context);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 0, 0));
});

it('answers 202 {messageId}; 60 sends per user per 10 minutes, then 400 with Retry-After', async () => {
  expect(RATE_LIMITS.mailSend).toMatchObject({ limit: 60, windowSeconds: 600 });
  const first = await attempt();
  expect(first.status).toBe(202);
  expect(await first.json()).toEqual({ messageId: '<m@contoso.example>', rejected: [] });
  expect(mail.sendMessage).toHaveBeenCalledWith({ userId: 'ada', accountId: 'acc-1', input: { to: ['bob@contoso.example'], subject: 'Hi', text: 'x' } });
  for (let i = 1; i < 60; i++) expect((await attempt()).status).toBe(202);
  const refused = await attempt();
  expect(refused.status).toBe(400);
  expect(refused.headers.get('retry-after')).toBe('600');
  expect(mail.sendMessage).toHaveBeenCalledTimes(60);
  state.userId = 'bob';
  expect((await attempt()).status).toBe(202);
});
