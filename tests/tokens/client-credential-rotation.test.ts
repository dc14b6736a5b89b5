// Rotating the app's own credential through the token layer, on PostgreSQL, Redis and the
// emulator: an expired secret with a new one configured keeps every refresh working (no
// needs_reauth, no pause, no operator alert); a certificate alone refreshes; the operator alert
// comes only when no credential works.
import { appendFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityClient, loadCertificateCredential, type ClientCredential, type ClientCredentialMemory } from '@/lib/microsoft';
import { createTestCertificate } from '../support/certificates';
import { createTokenFixture, type TokenFixture } from '../support/tokens';

let f: TokenFixture;
const cert = createTestCertificate();

beforeAll(async () => {
  f = await createTokenFixture({ emulator: { certificates: [cert.certificatePem] } });
});
afterAll(async () => {
  await f?.close();
});

function service(credentials: ClientCredential[]) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, {
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.LOG_FILE) appendFileSync(process.env.LOG_FILE, line);
    },
  });
  const memory: ClientCredentialMemory = {};
  const identity = createIdentityClient({ authorityHost: f.emulator.url, tenant: 'common', clientId: f.emulator.clientId, credentials, credentialMemory: memory });
  const tokens = f.service({ identity, logger, sleep: async () => {} });
  return { tokens, memory, alerts: () => lines.filter((l) => l.alert === 'operator') };
}

/** Each call makes the token layer refresh (the stored token is older than `since`). */
const refreshNow = (tokens: ReturnType<typeof service>['tokens'], credentialId: string) =>
  tokens.ensureFreshToken(credentialId, 'imap', { refreshedSince: Date.now() + 1, strict: true });

async function row(id: string) {
  return f.database.db.mailCredential.findUniqueOrThrow({ where: { id } });
}

describe('client secret rotation with an overlap window', () => {
  it('keeps refreshing with the new secret once the old one expired: no needs_reauth, no pause, no alert', async () => {
    const oldSecret = f.emulator.addClientSecret();
    const newSecret = f.emulator.addClientSecret();
    const a = await f.seedCredential();
    const b = await f.seedCredential();
    const { tokens, memory, alerts } = service([
      { id: 'secret', kind: 'secret', secret: oldSecret },
      { id: 'secret_next', kind: 'secret', secret: newSecret },
    ]);
    const first = await refreshNow(tokens, a.credentialId);
    expect(memory.preferred).toBe('secret');

    // The old secret's end date passes while the service runs.
    f.emulator.expireClientSecret(oldSecret);
    const refreshesBefore = f.emulator.stats().token.refresh_token;
    const afterExpiry = await refreshNow(tokens, a.credentialId);
    expect(afterExpiry.accessToken).not.toBe(first.accessToken);
    const other = await refreshNow(tokens, b.credentialId);
    expect(other.accessToken).toEqual(expect.any(String));
    // One refused request, then the new secret for every refresh.
    expect(f.emulator.stats().token.refresh_token - refreshesBefore).toBe(3);
    expect(memory.preferred).toBe('secret_next');
    for (const id of [a.credentialId, b.credentialId]) {
      expect(await row(id)).toMatchObject({ status: 'active', failureCount: 0, nextRetryAt: null, lastError: null });
    }
    expect(alerts()).toEqual([]);
    // Nothing paused: the next refresh goes straight through.
    await expect(refreshNow(tokens, a.credentialId)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('raises the operator alert, and leaves the mailboxes alone, only when no credential works', async () => {
    const oldSecret = f.emulator.addClientSecret();
    const newSecret = f.emulator.addClientSecret();
    const a = await f.seedCredential();
    f.emulator.expireClientSecret(oldSecret);
    f.emulator.removeClientSecret(newSecret);
    const { tokens, alerts } = service([
      { id: 'secret', kind: 'secret', secret: oldSecret },
      { id: 'secret_next', kind: 'secret', secret: newSecret },
    ]);
    await expect(tokens.ensureFreshToken(a.credentialId, 'imap')).rejects.toMatchObject({
      code: 'upstream_unavailable',
      classification: { kind: 'app', code: 'AADSTS7000222' },
      paused: { scope: 'all' },
    });
    expect(alerts()).toEqual([expect.objectContaining({ outcome: 'app_misconfigured', code: 'AADSTS7000222', scope: 'all' })]);
    expect(await row(a.credentialId)).toMatchObject({ status: 'active', failureCount: 0 });
  });
});

describe('a certificate credential', () => {
  it('refreshes with a client assertion alone', async () => {
    const a = await f.seedCredential();
    const { tokens, alerts } = service([{ id: 'certificate', kind: 'certificate', certificate: loadCertificateCredential(cert) }]);
    const first = await refreshNow(tokens, a.credentialId);
    const second = await refreshNow(tokens, a.credentialId);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await row(a.credentialId)).toMatchObject({ status: 'active', failureCount: 0 });
    expect(alerts()).toEqual([]);
  });

  it('falls back to a secret when the certificate is removed from the app registration', async () => {
    const spare = createTestCertificate();
    f.emulator.addClientCertificate(spare.certificatePem);
    const a = await f.seedCredential();
    const { tokens, memory } = service([
      { id: 'certificate', kind: 'certificate', certificate: loadCertificateCredential(spare) },
      { id: 'secret', kind: 'secret', secret: f.emulator.clientSecret },
    ]);
    await refreshNow(tokens, a.credentialId);
    expect(memory.preferred).toBe('certificate');
    f.emulator.removeClientCertificate(spare.certificatePem);
    await refreshNow(tokens, a.credentialId);
    expect(memory.preferred).toBe('secret');
    expect(await row(a.credentialId)).toMatchObject({ status: 'active', failureCount: 0 });
  });
});
