import { describe, expect, it } from 'vitest';
import { parseEnv } from '@/lib/env';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      MICROSOFT_TENANT: 'common',
      MICROSOFT_AUTHORITY_HOST: 'https://login.microsoftonline.com',
      MICROSOFT_GRAPH_URL: 'https://graph.microsoft.com/v1.0',
      IMAP_HOST: 'outlook.office365.com',
      IMAP_PORT: 993,
      IMAP_SECURE: true,
      TOKEN_REFRESH_SKEW_SECONDS: 300,
      IMAP_ALLOW_PRIVATE_HOSTS: false,
    });
  });

  it('names a bad variable without echoing its value', () => {
    expect(() => parseEnv({ REDIS_URL: 'not a url with secret-hunter2' })).toThrow(/REDIS_URL/);
    expect(() => parseEnv({ REDIS_URL: 'not a url with secret-hunter2' })).not.toThrow(/hunter2/);
  });

  it('refuses the sandbox in production', () => {
    expect(() => parseEnv({ NODE_ENV: 'production', SANDBOX: 'true' })).toThrow(/SANDBOX/);
    expect(parseEnv({ NODE_ENV: 'development', SANDBOX: 'true' }).SANDBOX).toBe(true);
  });

  it('takes webhooks only with both a URL and a secret, never echoing the secret', () => {
    expect(parseEnv({}).WEBHOOK_URL).toBeUndefined();
    const env = parseEnv({ WEBHOOK_URL: 'https://ops.example.com/hooks', WEBHOOK_SECRET: 'whsec-0123456789abcdef' });
    expect(env).toMatchObject({ WEBHOOK_URL: 'https://ops.example.com/hooks', WEBHOOK_MAX_ATTEMPTS: 12, WEBHOOK_TIMEOUT_MS: 10_000 });
    expect(() => parseEnv({ WEBHOOK_URL: 'https://ops.example.com/hooks' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => parseEnv({ WEBHOOK_SECRET: 'whsec-0123456789abcdef' })).toThrow(/WEBHOOK_URL/);
    expect(() => parseEnv({ WEBHOOK_URL: 'https://ops.example.com/hooks', WEBHOOK_SECRET: 'short-hunter2' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => parseEnv({ WEBHOOK_URL: 'https://ops.example.com/hooks', WEBHOOK_SECRET: 'short-hunter2' })).not.toThrow(/hunter2/);
  });
});

describe('client credentials', () => {
  it('needs the certificate and its key together', async () => {
    const { createTestCertificate } = await import('./support/certificates');
    const cert = createTestCertificate();
    expect(() => parseEnv({ MICROSOFT_CLIENT_CERTIFICATE: cert.certificatePem })).toThrow(/MICROSOFT_CLIENT_CERTIFICATE_KEY \(MICROSOFT_CLIENT_CERTIFICATE_KEY is required/);
    expect(() => parseEnv({ MICROSOFT_CLIENT_CERTIFICATE_KEY: cert.privateKeyPem })).toThrow(/MICROSOFT_CLIENT_CERTIFICATE is required/);
    const env = parseEnv({ MICROSOFT_CLIENT_CERTIFICATE: cert.certificatePem, MICROSOFT_CLIENT_CERTIFICATE_KEY: cert.privateKeyPem });
    expect(env.MICROSOFT_CLIENT_ASSERTION_ALG).toBe('PS256');
  });

  it('says what is wrong with a certificate without echoing the key', async () => {
    const { createTestCertificate } = await import('./support/certificates');
    const a = createTestCertificate();
    const b = createTestCertificate();
    const attempt = () => parseEnv({ MICROSOFT_CLIENT_CERTIFICATE: a.certificatePem, MICROSOFT_CLIENT_CERTIFICATE_KEY: b.privateKeyPem });
    expect(attempt).toThrow(/MICROSOFT_CLIENT_CERTIFICATE_KEY is not the private key of MICROSOFT_CLIENT_CERTIFICATE/);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = String(error);
    }
    expect(message).not.toContain('PRIVATE KEY');
    expect(message).not.toContain(b.privateKeyPem.split('\n')[1]);
  });

  it('refuses a next secret equal to the current one, and an unknown assertion algorithm', () => {
    const twice = { MICROSOFT_CLIENT_SECRET: 'hunter2-secret', MICROSOFT_CLIENT_SECRET_NEXT: 'hunter2-secret' };
    expect(() => parseEnv(twice)).toThrow(/MICROSOFT_CLIENT_SECRET_NEXT/);
    expect(() => parseEnv(twice)).not.toThrow(/hunter2/);
    expect(() => parseEnv({ MICROSOFT_CLIENT_ASSERTION_ALG: 'HS256' })).toThrow(/MICROSOFT_CLIENT_ASSERTION_ALG/);
  });
});
