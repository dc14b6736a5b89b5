// Pure parts of the webhooks: signing and verification (Stripe's scheme), payloads and dedupe
// keys, retry delays.
import { describe, expect, it } from 'vitest';
import {
  appMisconfiguredEvent,
  nearExpiryEvent,
  needsReauthEvent,
  parseRetryAfter,
  reconnectedEvent,
  retryDelayMs,
  signWebhook,
  syncFailedEvent,
  verifyWebhookSignature,
  webhookBody,
} from '@/lib/webhooks';
import { createHmac } from 'node:crypto';

const SECRET = 'whsec-test-0123456789abcdef';
const BODY = webhookBody({ id: 'evt_1', type: 'mailbox.needs_reauth', createdAt: new Date('2026-12-03T06:00:00Z'), data: { credentialId: 'c1', email: 'a@b.example', code: 'invalid_grant' } });
const T = 1_796_277_600;

describe('signWebhook / verifyWebhookSignature', () => {
  it('signs t.<body> with HMAC-SHA256 and verifies it', () => {
    const header = signWebhook(BODY, SECRET, T);
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${T},v1=${expected}`);
    expect(verifyWebhookSignature(BODY, header, SECRET, { nowSeconds: T + 10 })).toBe(true);
  });

  it('rejects a changed body, another secret, a malformed or missing header', () => {
    const header = signWebhook(BODY, SECRET, T);
    expect(verifyWebhookSignature(BODY.replace('invalid_grant', 'nothing'), header, SECRET, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, header, `${SECRET}x`, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, header.replace('v1=', 'v0='), SECRET, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, `t=${T}`, SECRET, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, `v1=${'0'.repeat(64)}`, SECRET, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, header.slice(0, -2), SECRET, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, undefined, SECRET, { nowSeconds: T })).toBe(false);
    expect(verifyWebhookSignature(BODY, header, '', { nowSeconds: T })).toBe(false);
  });

  it('rejects a replay outside the tolerance, in either direction; the signed timestamp cannot be swapped', () => {
    const header = signWebhook(BODY, SECRET, T);
    expect(verifyWebhookSignature(BODY, header, SECRET, { nowSeconds: T + 301 })).toBe(false);
    expect(verifyWebhookSignature(BODY, header, SECRET, { nowSeconds: T - 301 })).toBe(false);
    expect(verifyWebhookSignature(BODY, header, SECRET, { nowSeconds: T + 900, toleranceSeconds: 1000 })).toBe(true);
    // Moving an old signature to a fresh timestamp breaks it.
    const fresh = header.replace(`t=${T}`, `t=${T + 600}`);
    expect(verifyWebhookSignature(BODY, fresh, SECRET, { nowSeconds: T + 600 })).toBe(false);
  });

  it('accepts any of several v1 signatures (a sender rotating its secret)', () => {
    const old = signWebhook(BODY, 'old-secret-0123456789', T).split(',')[1];
    const header = `${signWebhook(BODY, SECRET, T)},${old}`;
    expect(verifyWebhookSignature(BODY, header, SECRET, { nowSeconds: T })).toBe(true);
    expect(verifyWebhookSignature(BODY, header, 'old-secret-0123456789', { nowSeconds: T })).toBe(true);
  });
});

describe('events', () => {
  it('keys each event so one change makes one event', () => {
    expect(needsReauthEvent({ credentialId: 'c1', email: 'a@b', tokenVersion: 3, code: 'invalid_grant' }).dedupeKey).toBe('mailbox.needs_reauth:c1:3');
    expect(reconnectedEvent({ credentialId: 'c1', email: 'a@b', tokenVersion: 4, previousStatus: 'needs_reauth' }).dedupeKey).toBe('mailbox.reconnected:c1:4');
    const day1 = Date.parse('2026-12-03T23:59:00Z');
    const near = (now: number) => nearExpiryEvent({ credentialId: 'c1', email: null, idleDays: 81, thresholdDays: 80, now }).dedupeKey;
    expect(near(day1)).toBe('mailbox.near_expiry:c1:2026-12-03');
    expect(near(day1 + 120_000)).toBe('mailbox.near_expiry:c1:2026-12-04');
    expect(appMisconfiguredEvent({ code: 'AADSTS7000222', now: day1 })).toEqual({
      type: 'app.misconfigured',
      dedupeKey: 'app.misconfigured:AADSTS7000222:2026-12-03',
      data: { code: 'AADSTS7000222', scope: 'all' },
    });
    const failed = syncFailedEvent({ linkId: 'l1', knowledgeBaseId: 'k1', credentialId: 'c1', outcome: 'error', code: 'folder_not_found', runId: 'r1' });
    expect(failed).toMatchObject({ type: 'onedrive.sync_failed', dedupeKey: 'onedrive.sync_failed:l1:r1', data: { linkId: 'l1', code: 'folder_not_found' } });
  });

  it('builds the body receivers get', () => {
    expect(JSON.parse(BODY)).toEqual({
      id: 'evt_1',
      type: 'mailbox.needs_reauth',
      createdAt: '2026-12-03T06:00:00.000Z',
      data: { credentialId: 'c1', email: 'a@b.example', code: 'invalid_grant' },
    });
  });
});

describe('retryDelayMs', () => {
  it('doubles from 30 s with jitter in the upper half, capped at 6 h', () => {
    expect(retryDelayMs({ attempts: 1, random: () => 0 })).toBe(15_000);
    expect(retryDelayMs({ attempts: 1, random: () => 1 })).toBe(30_000);
    expect(retryDelayMs({ attempts: 3, random: () => 1 })).toBe(120_000);
    expect(retryDelayMs({ attempts: 3, random: () => 0.5 })).toBe(90_000);
    expect(retryDelayMs({ attempts: 40, random: () => 1 })).toBe(6 * 3_600_000);
  });

  it('never retries sooner than Retry-After', () => {
    expect(retryDelayMs({ attempts: 1, random: () => 1, retryAfterSeconds: 600 })).toBe(600_000);
    expect(retryDelayMs({ attempts: 5, random: () => 1, retryAfterSeconds: 1 })).toBe(480_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-03T06:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 03 Dec 2026 06:05:00 GMT', now)).toBe(300);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
