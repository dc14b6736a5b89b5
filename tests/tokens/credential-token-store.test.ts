// The token store's one-statement lease and commit on PostgreSQL: taking the lease returns the
// state; a commit is compare-and-set on tokenVersion (an older refresh never overwrites a newer
// one) and hands back only its own lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialTokenStore } from '@/lib/tokens/credential-token-store';
import { createTokenFixture, type TokenFixture } from '../support/tokens';

let f: TokenFixture;
let store: CredentialTokenStore;

beforeAll(async () => {
  f = await createTokenFixture();
  store = new CredentialTokenStore(f.database.db, f.secrets);
});
afterAll(async () => {
  await f?.close();
});

const row = (id: string) => f.database.db.mailCredential.findUniqueOrThrow({ where: { id } });
const token = (accessToken: string) => ({ accessToken, expiresAt: Date.now() + 3_600_000 });

describe('CredentialTokenStore lease and commit', () => {
  it('takes a free lease returning the state as read, and refuses a held one', async () => {
    const { credentialId } = await f.seedCredential();
    const state = await store.acquireLeaseAndRead(credentialId, 'imap', 'owner-a', 30_000);
    expect(state).toMatchObject({ credentialId, status: 'active', tokenVersion: 1, hasRefreshToken: true });
    expect(state!.leaseUntil).toBeGreaterThan(Date.now());
    expect(store.openRefreshToken(state!)).toBeTruthy();
    expect(await store.acquireLeaseAndRead(credentialId, 'imap', 'owner-b', 30_000)).toBeNull();
    expect((await row(credentialId)).refreshLeaseOwner).toBe('owner-a');
  });

  it('commits the rotation and the access token and releases its own lease in one go', async () => {
    const { credentialId } = await f.seedCredential();
    const state = (await store.acquireLeaseAndRead(credentialId, 'imap', 'owner-a', 30_000))!;
    const committed = await store.commitRefresh({ state, resource: 'imap', accessToken: token('at-1'), rotatedRefreshToken: 'rt-2', now: Date.now(), leaseOwner: 'owner-a' });
    expect(committed).toBe(true);
    const after = await row(credentialId);
    expect(after).toMatchObject({ tokenVersion: 2, refreshLeaseOwner: null, refreshLeaseUntil: null, failureCount: 0, status: 'active' });
    const read = await store.read(credentialId, 'imap');
    expect(read.accessToken?.accessToken).toBe('at-1');
    expect(store.openRefreshToken(read)).toBe('rt-2');
  });

  it('an older version never overwrites a newer one, and a superseded commit leaves the lease to its caller', async () => {
    const { credentialId } = await f.seedCredential();
    const stale = (await store.acquireLeaseAndRead(credentialId, 'imap', 'owner-a', 30_000))!;
    // Someone else committed version 2 meanwhile.
    expect(await store.commitRefresh({ state: stale, resource: 'imap', accessToken: token('newer'), rotatedRefreshToken: 'rt-newer', now: Date.now() })).toBe(true);
    const superseded = await store.commitRefresh({ state: stale, resource: 'imap', accessToken: token('older'), rotatedRefreshToken: 'rt-older', now: Date.now(), leaseOwner: 'owner-a' });
    expect(superseded).toBe(false);
    const read = await store.read(credentialId, 'imap');
    expect(read.tokenVersion).toBe(2);
    expect(read.accessToken?.accessToken).toBe('newer');
    expect(store.openRefreshToken(read)).toBe('rt-newer');
    expect((await row(credentialId)).refreshLeaseOwner).toBe('owner-a');
  });

  it('never clears a lease another owner took after ours expired', async () => {
    const { credentialId } = await f.seedCredential();
    const state = (await store.acquireLeaseAndRead(credentialId, 'imap', 'owner-a', 1))!;
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.acquireLeaseAndRead(credentialId, 'imap', 'owner-b', 30_000)).not.toBeNull();
    expect(await store.commitRefresh({ state, resource: 'imap', accessToken: token('a'), now: Date.now(), leaseOwner: 'owner-a' })).toBe(true);
    expect((await row(credentialId)).refreshLeaseOwner).toBe('owner-b');
  });
});
