// The in-process token cache's own rules, without servers: bounds, lifetimes, tickets, and
// what it keeps.
import { describe, expect, it } from 'vitest';
import { L1TokenCache } from '@/lib/tokens/l1-cache';

const SKEW = 300_000;
function make(options: { max?: number; fallbackMs?: number; live?: boolean } = {}) {
  let now = 1_000_000;
  const l1 = new L1TokenCache({ max: options.max ?? 100, fallbackMs: options.fallbackMs ?? 3_000, clock: () => now });
  if (options.live ?? true) l1.setLive(true);
  return { l1, advance: (ms: number) => (now += ms), now: () => now };
}
const token = (at: number, ttlMs = 3_600_000, name = 'at') => ({ accessToken: `${name}-${at}`, expiresAt: at + ttlMs });

describe('L1 token cache', () => {
  it('serves an entry until the end of its fresh window (expiry minus skew), not after', () => {
    const { l1, advance, now } = make();
    const t = token(now());
    expect(l1.set('c1', 'imap', t, SKEW, l1.ticket())).toBe(true);
    advance(3_600_000 - SKEW - 1);
    expect(l1.get('c1', 'imap')).toEqual(t);
    advance(1);
    expect(l1.get('c1', 'imap')).toBeNull();
  });

  it('does not keep a token already inside the skew', () => {
    const { l1, now } = make();
    expect(l1.set('c1', 'imap', token(now(), SKEW), SKEW, l1.ticket())).toBe(false);
    expect(l1.get('c1', 'imap')).toBeNull();
  });

  it('is bounded: the least recently used entry goes first', () => {
    const { l1, now } = make({ max: 3 });
    for (const id of ['a', 'b', 'c']) l1.set(id, 'imap', token(now(), undefined, id), SKEW, l1.ticket());
    l1.get('a', 'imap'); // a is now the most recent
    l1.set('d', 'imap', token(now(), undefined, 'd'), SKEW, l1.ticket());
    expect(l1.size).toBe(3);
    expect(l1.get('b', 'imap')).toBeNull();
    expect(l1.get('a', 'imap')).not.toBeNull();
    expect(l1.get('d', 'imap')).not.toBeNull();
  });

  it('keeps entries only a short time while invalidations may be missed', () => {
    const { l1, advance, now } = make({ live: false, fallbackMs: 3_000 });
    l1.set('c1', 'imap', token(now()), SKEW, l1.ticket());
    advance(2_999);
    expect(l1.get('c1', 'imap')).not.toBeNull();
    advance(1);
    expect(l1.get('c1', 'imap')).toBeNull();
  });

  it('cuts entries it holds down to the short lifetime when the channel goes quiet, and drops them all when it is back', () => {
    const { l1, advance, now } = make({ fallbackMs: 3_000 });
    l1.set('c1', 'imap', token(now()), SKEW, l1.ticket());
    l1.set('c2', 'imap', token(now()), SKEW, l1.ticket());
    advance(60_000);
    l1.setLive(false);
    advance(2_999);
    expect(l1.get('c1', 'imap')).not.toBeNull();
    advance(1);
    expect(l1.get('c1', 'imap')).toBeNull();

    l1.set('c3', 'imap', token(now()), SKEW, l1.ticket());
    l1.setLive(true);
    expect(l1.get('c2', 'imap')).toBeNull();
    expect(l1.get('c3', 'imap')).toBeNull();
    expect(l1.size).toBe(0);
  });

  it('forgets every resource of a credential, and only that credential', () => {
    const { l1, now } = make();
    l1.set('c1', 'imap', token(now()), SKEW, l1.ticket());
    l1.set('c1', 'graph', token(now()), SKEW, l1.ticket());
    l1.set('c2', 'imap', token(now()), SKEW, l1.ticket());
    l1.forget('c1');
    expect(l1.get('c1', 'imap')).toBeNull();
    expect(l1.get('c1', 'graph')).toBeNull();
    expect(l1.get('c2', 'imap')).not.toBeNull();
  });

  it('refuses a value read before an invalidation (a ticket older than it)', () => {
    const { l1, now } = make();
    for (const invalidate of [() => l1.forget('other'), () => l1.clear(), () => l1.setLive(false)]) {
      const ticket = l1.ticket();
      invalidate();
      expect(l1.set('c1', 'imap', token(now()), SKEW, ticket)).toBe(false);
      expect(l1.get('c1', 'imap')).toBeNull();
    }
  });

  it('keeps only the access token and its expiry, never anything else the caller hands it', () => {
    const { l1, now } = make();
    const tokenSet = { ...token(now()), refreshToken: '0.A-refresh-token-secret', idToken: 'id' };
    l1.set('c1', 'imap', tokenSet, SKEW, l1.ticket());
    const held = l1.get('c1', 'imap');
    expect(held).toEqual({ accessToken: tokenSet.accessToken, expiresAt: tokenSet.expiresAt });
    expect(JSON.stringify([...(l1 as unknown as { entries: Map<string, unknown> }).entries.values()])).not.toContain('refresh-token');
  });
});
