// The app registration's credentials in the emulator: secrets with expiry and certificates whose
// client assertions it validates the way Microsoft does; and the identity client's fallback from
// a refused credential to the next one against it.
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import {
  buildClientAssertion,
  createIdentityClient,
  loadCertificateCredential,
  TokenRequestError,
  type CertificateCredential,
  type ClientCredential,
  type ClientCredentialMemory,
} from '@/lib/microsoft';
import { createTestCertificate, type TestCertificate } from '../support/certificates';
import { authorize, IMAP_SCOPE, MAIL_SCOPES, pkcePair, REDIRECT_URI } from './helpers';

let em: MicrosoftEmulator;
let cert: TestCertificate;
let unregistered: TestCertificate;
let certificate: CertificateCredential;
const email = 'ada@contoso.test';

beforeAll(async () => {
  cert = createTestCertificate();
  unregistered = createTestCertificate();
  certificate = loadCertificateCredential(cert);
  em = await startMicrosoftEmulator({ certificates: [cert.certificatePem] });
  em.addUser({ email });
});
afterAll(async () => {
  await em?.close();
});

/** A refresh authenticated only by the given form fields (no client_secret unless given). */
async function refreshWith(auth: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const refreshToken = em.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE] });
  const res = await fetch(em.tokenUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: em.clientId, grant_type: 'refresh_token', refresh_token: refreshToken, scope: `${IMAP_SCOPE} offline_access`, ...auth }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const assertionAuth = (client_assertion: string) => ({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion });
const assertion = (overrides: { now?: number; aud?: string; clientId?: string; certificate?: CertificateCredential } = {}) =>
  buildClientAssertion({
    clientId: overrides.clientId ?? em.clientId,
    tokenEndpoint: overrides.aud ?? em.tokenUrl(),
    certificate: overrides.certificate ?? certificate,
    now: overrides.now ?? Date.now(),
  });

/** Microsoft's error body: every field, the code in the description. */
function expectAadError(body: Record<string, unknown>, code: number, error = 'invalid_client') {
  expect(body).toMatchObject({ error, error_codes: [code] });
  expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(body.error_description).toMatch(/Trace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /);
  for (const field of ['timestamp', 'trace_id', 'correlation_id', 'error_uri']) expect(typeof body[field]).toBe('string');
}

describe('client secrets with an expiry', () => {
  it('answers an expired secret with 401 AADSTS7000222 and a deleted or wrong one with AADSTS7000215', async () => {
    const next = em.addClientSecret();
    expect((await refreshWith({ client_secret: next })).status).toBe(200);
    em.expireClientSecret(next);
    const expired = await refreshWith({ client_secret: next });
    expect(expired.status).toBe(401);
    expectAadError(expired.body, 7000222);
    expect(expired.body.error_description).toContain(`The provided client secret keys for app '${em.clientId}' are expired.`);
    em.removeClientSecret(next);
    const removed = await refreshWith({ client_secret: next });
    expect(removed.status).toBe(401);
    expectAadError(removed.body, 7000215);
  });

  it('lets a secret expire on the emulator clock', async () => {
    const shortLived = em.addClientSecret({ expiresInSeconds: 3600 });
    expect((await refreshWith({ client_secret: shortLived })).status).toBe(200);
    em.advanceClock(3601);
    try {
      expectAadError((await refreshWith({ client_secret: shortLived })).body, 7000222);
      // The registration's first secret never expires.
      expect((await refreshWith({ client_secret: em.clientSecret })).status).toBe(200);
    } finally {
      em.advanceClock(-3601);
    }
  });
});

describe('certificate client assertions', () => {
  it('accepts an assertion signed by a registered certificate, without any secret', async () => {
    const { status, body } = await refreshWith(assertionAuth(await assertion()));
    expect(status).toBe(200);
    expect(body.access_token).toEqual(expect.any(String));
  });

  it('refuses a replayed assertion (its jti was seen)', async () => {
    const jwt = await assertion();
    expect((await refreshWith(assertionAuth(jwt))).status).toBe(200);
    const replay = await refreshWith(assertionAuth(jwt));
    expect(replay.status).toBe(401);
    expectAadError(replay.body, 50027);
    expect(replay.body.error_description).toContain('has already been used');
  });

  it('refuses an assertion for another audience', async () => {
    const { status, body } = await refreshWith(assertionAuth(await assertion({ aud: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' })));
    expect(status).toBe(401);
    expectAadError(body, 50027);
  });

  it('refuses an expired or not yet valid assertion with AADSTS700024', async () => {
    expectAadError((await refreshWith(assertionAuth(await assertion({ now: Date.now() - 3600_000 })))).body, 700024);
    expectAadError((await refreshWith(assertionAuth(await assertion({ now: Date.now() + 3600_000 })))).body, 700024);
  });

  it('refuses an assertion whose issuer is another app with AADSTS700021', async () => {
    expectAadError((await refreshWith(assertionAuth(await assertion({ clientId: 'someone-else' })))).body, 700021);
  });

  it('answers an unregistered certificate with AADSTS700027, key not found, naming its thumbprint', async () => {
    const other = loadCertificateCredential(unregistered);
    const { status, body } = await refreshWith(assertionAuth(await assertion({ certificate: other })));
    expect(status).toBe(401);
    expectAadError(body, 700027);
    expect(body.error_description).toContain(`The key was not found., Thumbprint of key used by client: '${Buffer.from(other.x5t, 'base64url').toString('hex').toUpperCase()}'`);
  });

  it('answers a signature by another key under the registered thumbprint with AADSTS700027', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': certificate.x5tS256 })
      .setIssuer(em.clientId)
      .setSubject(em.clientId)
      .setAudience(em.tokenUrl())
      .setJti(crypto.randomUUID())
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .sign(createPrivateKey(unregistered.privateKeyPem));
    const { body } = await refreshWith(assertionAuth(forged));
    expectAadError(body, 700027);
    expect(body.error_description).toContain('did not match the expected signature value');
  });

  it('refuses an assertion without a thumbprint, and one with the wrong assertion type', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bare = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(em.clientId).setSubject(em.clientId).setAudience(em.tokenUrl()).setJti('x').setExpirationTime(now + 300).sign(certificate.privateKey);
    const { body } = await refreshWith(assertionAuth(bare));
    expectAadError(body, 50027);
    expect(body.error_description).toContain('No certificate thumbprint specified in token header.');
    expectAadError((await refreshWith({ client_assertion_type: 'urn:wrong', client_assertion: await assertion() })).body, 50027);
  });

  it('refuses a certificate whose credential expired on the app, and one removed from it', async () => {
    const later = createTestCertificate();
    const laterCredential = loadCertificateCredential(later);
    em.addClientCertificate(later.certificatePem, { expiresInSeconds: 60 });
    expect((await refreshWith(assertionAuth(await assertion({ certificate: laterCredential })))).status).toBe(200);
    em.advanceClock(120);
    try {
      const { body } = await refreshWith(assertionAuth(await assertion({ certificate: laterCredential, now: Date.now() + 120_000 })));
      expectAadError(body, 700027);
      expect(body.error_description).toContain('expired on application');
    } finally {
      em.advanceClock(-120);
    }
    em.removeClientCertificate(later.certificatePem);
    expect((await refreshWith(assertionAuth(await assertion({ certificate: laterCredential })))).body).toMatchObject({ error_codes: [700027] });
  });
});

describe('the identity client with several credentials', () => {
  let oldSecret: string;
  let newSecret: string;
  let memory: ClientCredentialMemory;
  let events: string[];

  beforeEach(() => {
    oldSecret = em.addClientSecret();
    newSecret = em.addClientSecret();
    memory = {};
    events = [];
  });

  const client = (credentials: ClientCredential[]) =>
    createIdentityClient({
      authorityHost: em.url,
      tenant: 'common',
      clientId: em.clientId,
      credentials,
      credentialMemory: memory,
      onCredentialRejected: (e) => events.push(`rejected ${e.credential} ${e.code} → ${e.next}`),
      onCredentialSelected: (e) => events.push(`selected ${e.credential}`),
    });
  const refreshToken = () => em.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE] });
  const statuses = (since: number) => em.tokenRequestLog.slice(since).map((e) => e.status);

  it('uses the next secret when the current one expired, and goes straight to it from then on', async () => {
    em.expireClientSecret(oldSecret);
    const identity = client([
      { id: 'secret', kind: 'secret', secret: oldSecret },
      { id: 'secret_next', kind: 'secret', secret: newSecret },
    ]);
    let since = em.tokenRequestLog.length;
    const first = await identity.refresh({ refreshToken: refreshToken(), resource: 'imap' });
    expect(first.accessToken).toEqual(expect.any(String));
    expect(statuses(since)).toEqual([401, 200]);
    expect(memory.preferred).toBe('secret_next');
    expect(events).toEqual(['rejected secret AADSTS7000222 → secret_next', 'selected secret_next']);

    since = em.tokenRequestLog.length;
    await identity.refresh({ refreshToken: refreshToken(), resource: 'imap' });
    expect(statuses(since)).toEqual([200]);
  });

  it('redeems a sign-in code with the next credential when the first is refused: the code is not spent by the refusal', async () => {
    em.removeClientSecret(oldSecret);
    const identity = client([
      { id: 'secret', kind: 'secret', secret: oldSecret },
      { id: 'certificate', kind: 'certificate', certificate },
    ]);
    const { verifier, challenge } = pkcePair();
    const { query } = await authorize(em, { challenge, loginHint: email });
    const tokens = await identity.redeemCode({ code: query.get('code')!, redirectUri: REDIRECT_URI, codeVerifier: verifier, scopes: MAIL_SCOPES.split(' ') });
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(memory.preferred).toBe('certificate');
  });

  it('throws the app failure of the preferred credential only when none works', async () => {
    em.expireClientSecret(oldSecret);
    em.expireClientSecret(newSecret);
    const identity = client([
      { id: 'secret', kind: 'secret', secret: oldSecret },
      { id: 'secret_next', kind: 'secret', secret: newSecret },
    ]);
    const since = em.tokenRequestLog.length;
    const error = await identity.refresh({ refreshToken: refreshToken(), resource: 'imap' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).classification).toEqual({ kind: 'app', code: 'AADSTS7000222' });
    expect(statuses(since)).toEqual([401, 401]);
    expect(memory.preferred).toBeUndefined();
  });

  it('does not try another credential for a failure of the grant', async () => {
    em.addUser({ email: 'grace@contoso.test' });
    const revoked = em.issueRefreshToken({ email: 'grace@contoso.test', scopes: ['openid', 'offline_access', IMAP_SCOPE] });
    em.revokeGrants('grace@contoso.test');
    const identity = client([
      { id: 'secret', kind: 'secret', secret: oldSecret },
      { id: 'secret_next', kind: 'secret', secret: newSecret },
    ]);
    const since = em.tokenRequestLog.length;
    const error = await identity.refresh({ refreshToken: revoked, resource: 'imap' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).classification).toMatchObject({ kind: 'reauth', code: 'AADSTS50173' });
    expect(statuses(since)).toHaveLength(1);
  });
});
