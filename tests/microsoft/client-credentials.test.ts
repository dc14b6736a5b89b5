// Certificate credentials and client assertions, credential order and which rejections move on:
// pure, no servers.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildClientAssertion,
  certificateExpiry,
  certificateThumbprints,
  classifyTokenFailure,
  clientAuthenticationParams,
  ClientCredentialConfigError,
  credentialOrder,
  loadCertificateCredential,
  rejectsClientCredential,
  resolvePem,
  type ClientCredential,
} from '@/lib/microsoft';
import { createTestCertificate, type TestCertificate } from '../support/certificates';

let cert: TestCertificate;
let other: TestCertificate;

beforeAll(() => {
  cert = createTestCertificate();
  other = createTestCertificate();
});

const TOKEN_ENDPOINT = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';

describe('loading a certificate credential', () => {
  it('computes the thumbprints Entra shows for the certificate', () => {
    const loaded = loadCertificateCredential(cert);
    const x509 = new X509Certificate(cert.certificatePem);
    // Entra's portal shows the SHA-1 thumbprint in hex; the header carries it base64url-encoded.
    expect(Buffer.from(loaded.x5t, 'base64url').toString('hex').toUpperCase()).toBe(x509.fingerprint.replaceAll(':', ''));
    expect(Buffer.from(loaded.x5tS256, 'base64url').toString('hex').toUpperCase()).toBe(x509.fingerprint256.replaceAll(':', ''));
    expect(loaded.algorithm).toBe('PS256');
    expect(loaded.notAfter).toBe(Date.parse(x509.validTo));
  });

  it('refuses a key that is not the certificate\'s, naming the variable and not the value', () => {
    const attempt = () => loadCertificateCredential({ certificatePem: cert.certificatePem, privateKeyPem: other.privateKeyPem });
    expect(attempt).toThrow(ClientCredentialConfigError);
    expect(attempt).toThrow(/MICROSOFT_CLIENT_CERTIFICATE_KEY is not the private key of MICROSOFT_CLIENT_CERTIFICATE/);
  });

  it('refuses what is not a certificate or not a key', () => {
    expect(() => loadCertificateCredential({ certificatePem: cert.privateKeyPem, privateKeyPem: cert.privateKeyPem })).toThrow(/MICROSOFT_CLIENT_CERTIFICATE is not a PEM X.509 certificate/);
    expect(() => loadCertificateCredential({ certificatePem: cert.certificatePem, privateKeyPem: 'nope' })).toThrow(/MICROSOFT_CLIENT_CERTIFICATE_KEY is not a PEM private key/);
  });

  it('refuses RSA keys smaller than 2048 bits', () => {
    const small = createTestCertificate({ bits: 1024 });
    expect(() => loadCertificateCredential(small)).toThrow(/at least 2048 bits/);
  });

  it('opens an encrypted key with its passphrase, and says so when the passphrase is wrong', () => {
    const locked = createTestCertificate({ passphrase: 'correct horse' });
    expect(loadCertificateCredential({ ...locked, passphrase: 'correct horse' }).x5tS256).toBe(
      certificateThumbprints(new X509Certificate(locked.certificatePem).raw).x5tS256,
    );
    expect(() => loadCertificateCredential({ ...locked, passphrase: 'wrong' })).toThrow(/PASSPHRASE does not open it/);
  });
});

describe('PEM values in the environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mb-pem-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a PEM inline, also with escaped newlines as secret stores keep it', () => {
    expect(resolvePem(cert.certificatePem, 'X')).toBe(cert.certificatePem.trim());
    expect(resolvePem(cert.certificatePem.trim().replaceAll('\n', '\\n'), 'X')).toBe(cert.certificatePem.trim());
  });

  it('reads a PEM file by path, and names the variable when it cannot', () => {
    const file = path.join(dir, 'cert.pem');
    writeFileSync(file, cert.certificatePem);
    expect(resolvePem(file, 'MICROSOFT_CLIENT_CERTIFICATE')).toBe(cert.certificatePem);
    expect(() => resolvePem(path.join(dir, 'missing.pem'), 'MICROSOFT_CLIENT_CERTIFICATE')).toThrow(/MICROSOFT_CLIENT_CERTIFICATE is neither a PEM value nor a readable PEM file/);
  });
});

describe('a client assertion', () => {
  it('is signed by the certificate key, names the certificate, and carries the claims Microsoft checks', async () => {
    const certificate = loadCertificateCredential(cert);
    const now = Date.parse('2026-12-03T06:00:00Z');
    const jwt = await buildClientAssertion({ clientId: CLIENT_ID, tokenEndpoint: TOKEN_ENDPOINT, certificate, now });
    const header = decodeProtectedHeader(jwt);
    expect(header).toMatchObject({ alg: 'PS256', typ: 'JWT', x5t: certificate.x5t, 'x5t#S256': certificate.x5tS256 });
    const publicKey = createPublicKey(cert.certificatePem);
    const { payload } = await jwtVerify(jwt, publicKey, { currentDate: new Date(now), audience: TOKEN_ENDPOINT, issuer: CLIENT_ID, subject: CLIENT_ID });
    expect(payload.nbf).toBe(now / 1000);
    expect(payload.exp).toBe(now / 1000 + 300);
    expect(typeof payload.jti).toBe('string');
    // Another key cannot verify it.
    await expect(jwtVerify(jwt, createPublicKey(other.certificatePem), { currentDate: new Date(now) })).rejects.toThrow();
  });

  it('has a fresh jti each time, and RS256 when configured', async () => {
    const certificate = loadCertificateCredential({ ...cert, algorithm: 'RS256' });
    const a = await buildClientAssertion({ clientId: CLIENT_ID, tokenEndpoint: TOKEN_ENDPOINT, certificate, now: Date.now() });
    const b = await buildClientAssertion({ clientId: CLIENT_ID, tokenEndpoint: TOKEN_ENDPOINT, certificate, now: Date.now() });
    expect(decodeProtectedHeader(a).alg).toBe('RS256');
    const jti = async (jwt: string) => (await jwtVerify(jwt, createPublicKey(cert.certificatePem))).payload.jti;
    expect(await jti(a)).not.toBe(await jti(b));
  });

  it('authenticates with client_assertion for a certificate and client_secret for a secret', async () => {
    const context = { clientId: CLIENT_ID, tokenEndpoint: TOKEN_ENDPOINT, now: Date.now() };
    const viaCert = await clientAuthenticationParams({ id: 'certificate', kind: 'certificate', certificate: loadCertificateCredential(cert) }, context);
    expect(Object.keys(viaCert).sort()).toEqual(['client_assertion', 'client_assertion_type']);
    expect(viaCert.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(await clientAuthenticationParams({ id: 'secret', kind: 'secret', secret: 's3cret' }, context)).toEqual({ client_secret: 's3cret' });
  });
});

describe('choosing a credential', () => {
  const secret: ClientCredential = { id: 'secret', kind: 'secret', secret: 'old' };
  const next: ClientCredential = { id: 'secret_next', kind: 'secret', secret: 'new' };

  it('tries the configured order until one has worked, then that one first', () => {
    expect(credentialOrder([secret, next], undefined).map((c) => c.id)).toEqual(['secret', 'secret_next']);
    expect(credentialOrder([secret, next], 'secret_next').map((c) => c.id)).toEqual(['secret_next', 'secret']);
    // A remembered credential no longer configured is ignored.
    expect(credentialOrder([secret], 'certificate').map((c) => c.id)).toEqual(['secret']);
  });

  it('moves on for a rejected credential, never for the grant, the tenant or an outage', () => {
    const c = (error: string, codes: number[], status = 400) => classifyTokenFailure({ status, body: { error, error_codes: codes } });
    expect(rejectsClientCredential(c('invalid_client', [7000222], 401))).toBe(true);
    expect(rejectsClientCredential(c('invalid_client', [7000215], 401))).toBe(true);
    expect(rejectsClientCredential(c('invalid_client', [700027], 401))).toBe(true);
    expect(rejectsClientCredential(c('invalid_client', [700024], 401))).toBe(true);
    expect(rejectsClientCredential(c('invalid_client', [50027], 401))).toBe(true);
    expect(rejectsClientCredential(c('invalid_grant', [70008]))).toBe(false);
    expect(rejectsClientCredential(c('invalid_tenant', [90002]))).toBe(false);
    expect(rejectsClientCredential(c('unauthorized_client', [700016]))).toBe(false);
    expect(rejectsClientCredential(c('temporarily_unavailable', [90033], 503))).toBe(false);
  });

  it('keeps invalid_client an app (operator) failure with the specific code', () => {
    expect(classifyTokenFailure({ status: 401, body: { error: 'invalid_client', error_codes: [7000222] } })).toEqual({ kind: 'app', code: 'AADSTS7000222' });
    expect(classifyTokenFailure({ status: 401, body: { error: 'invalid_client', error_codes: [700027] } })).toEqual({ kind: 'app', code: 'AADSTS700027' });
    expect(classifyTokenFailure({ status: 401, body: { error: 'invalid_client', error_codes: [700024] } })).toEqual({ kind: 'app', code: 'AADSTS700024' });
  });
});

describe('a certificate nearing its end date', () => {
  const day = 86_400_000;
  it('warns within 30 days, errs once expired, and says nothing before', () => {
    const now = Date.parse('2026-12-03T00:00:00Z');
    expect(certificateExpiry(now + 90 * day, now)).toBeNull();
    expect(certificateExpiry(now + 30 * day, now)).toBeNull();
    expect(certificateExpiry(now + 29 * day + 1, now)).toEqual({ level: 'warn', daysLeft: 29 });
    expect(certificateExpiry(now - 1, now)).toEqual({ level: 'error', daysLeft: -1 });
  });
});
