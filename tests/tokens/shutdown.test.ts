// The token layer's part of graceful shutdown, on real PostgreSQL and the emulator: no refresh
// starts once shutdown begins, one in flight is waited for (bounded), and a lease still held is
// handed back instead of being left for the full lease time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShuttingDownError } from '@/lib/tokens';
import { createTokenFixture, type TokenFixture } from '../support/tokens';
import { waitFor } from '../support/net';

let f: TokenFixture;
beforeAll(async () => {
  f = await createTokenFixture();
});
afterEach(() => f.emulator.clearTokenFailures());
afterAll(async () => {
  await f?.close();
});

const row = (id: string) => f.database.db.mailCredential.findUniqueOrThrow({ where: { id } });

describe('token service shutdown', () => {
  it('drains at once when nothing is refreshing, and refuses new refreshes afterwards', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    tokens.beginShutdown();
    expect(await tokens.drain(1_000)).toBe(true);
    const before = f.emulator.stats().token.refresh_token;
    const error = await tokens.ensureFreshToken(credentialId, 'imap').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShuttingDownError);
    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    expect(f.emulator.stats().token.refresh_token).toBe(before);
    expect((await row(credentialId)).refreshLeaseOwner).toBeNull();
  });

  it('releases the lease of a refresh still hanging, and the late answer is still committed', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    f.emulator.failTokenRequests({ status: 200, hangMs: 1_500, times: 1 });
    const pending = tokens.ensureFreshToken(credentialId, 'imap');
    await waitFor(async () => (await row(credentialId)).refreshLeaseOwner !== null, { what: 'lease taken' });

    tokens.beginShutdown();
    expect(await tokens.drain(200)).toBe(false);
    expect(await tokens.releaseHeldLeases()).toBe(1);
    const released = await row(credentialId);
    expect(released.refreshLeaseOwner).toBeNull();
    expect(released.refreshLeaseUntil).toBeNull();

    // The refresh in flight finishes: its rotation is committed (tokenVersion CAS), not lost.
    const token = await pending;
    expect(token.accessToken.length).toBeGreaterThan(0);
    expect(await tokens.drain(1_000)).toBe(true);
    const after = await row(credentialId);
    expect(after.tokenVersion).toBe(released.tokenVersion + 1);
    expect(after.refreshLeaseOwner).toBeNull();
  });

  it('drain resolves as soon as the refresh in flight ends', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    f.emulator.failTokenRequests({ status: 200, hangMs: 400, times: 1 });
    const pending = tokens.ensureFreshToken(credentialId, 'imap');
    await waitFor(async () => (await row(credentialId)).refreshLeaseOwner !== null, { what: 'lease taken' });
    tokens.beginShutdown();
    const t0 = Date.now();
    expect(await tokens.drain(5_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await pending;
    expect(await tokens.releaseHeldLeases()).toBe(0);
    expect((await row(credentialId)).refreshLeaseUntil).toBeNull();
  });
});
