import { describe, expect, it } from 'vitest';
import { assertPublicHost, isNonPublicAddress } from '@/lib/imap/host-policy';
import { createImapService } from '@/lib/imap';
import { childLogger } from '@/lib/log';

describe('isNonPublicAddress', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'])(
    '%s is not public',
    (ip) => expect(isNonPublicAddress(ip)).toBe(true),
  );
  it.each(['40.99.10.18', '52.97.1.1', '2603:1026::1', '::ffff:52.97.1.1'])('%s is public', (ip) => {
    expect(isNonPublicAddress(ip)).toBe(false);
  });
});

describe('assertPublicHost', () => {
  it('refuses a name that resolves to any private address', async () => {
    const lookup = async () => ['52.97.1.1', '10.0.0.5'];
    await expect(assertPublicHost('mail.example.com', lookup)).rejects.toMatchObject({ code: 'invalid_request' });
  });
  it('accepts a name that resolves only to public addresses', async () => {
    await expect(assertPublicHost('mail.example.com', async () => ['52.97.1.1'])).resolves.toBeUndefined();
  });
  it('reports a name that does not resolve', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(assertPublicHost('nowhere.invalid', lookup)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/could not be resolved/) });
  });
});

it('a password login to a loopback server is refused before any connection unless allowed', async () => {
  const imap = createImapService({
    loadAccount: async () => null,
    ensureFreshToken: async () => ({ accessToken: 'unused', expiresAt: 0 }),
    oauthEndpoint: { host: '127.0.0.1', port: 1, secure: false },
    log: childLogger('imap'),
  });
  await expect(
    imap.verifyPasswordLogin({ host: '127.0.0.1', port: 143, secure: false, username: 'u', password: 'p' }),
  ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/public internet/) });
  await imap.shutdown();
});
