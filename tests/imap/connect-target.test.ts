// DNS rebinding: a password mailbox's host is resolved once, every address checked, and the
// connection goes to the checked address, with TLS (direct or STARTTLS) still verifying the
// certificate for the host name. The resolver is injected; what imapflow hands to net/tls is
// observed at node's connect functions, then sent to a local socket.
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectTarget, createClient, imapLogFields, quietLogger } from '@/lib/imap/client';
import { isNonPublicAddress, resolvePublicHost } from '@/lib/imap/host-policy';
import { openSession, verifyPasswordLogin } from '@/lib/imap/login';
import { childLogger } from '@/lib/log';
import { freePort } from '../support/net';

const HOST = 'mail.example.com';
const PUBLIC_IP = '52.97.1.1';
const log = childLogger('imap');
const timeouts = { connectMs: 2_000, greetingMs: 2_000, socketMs: 5_000 };
const server = (secure: boolean, port: number) => ({ host: HOST, port, secure, username: 'u', password: 'secret-password' });

/** First answer public, every later one private: a rebinding resolver. */
function rebindingLookup() {
  const lookup = vi.fn(async (_host: string) => (lookup.mock.calls.length === 1 ? [PUBLIC_IP] : ['10.0.0.5']));
  return lookup;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('connectTarget (pure)', () => {
  it('connects to the checked address and names the host for TLS', () => {
    expect(connectTarget({ host: HOST, address: PUBLIC_IP, port: 993, secure: true })).toEqual({ host: PUBLIC_IP, servername: HOST });
    expect(connectTarget({ host: HOST, address: '2603:1026::1', port: 143, secure: false })).toEqual({ host: '2603:1026::1', servername: HOST, doSTARTTLS: true });
  });
  it('leaves an IP literal host, and an unchecked endpoint, as they are', () => {
    expect(connectTarget({ host: PUBLIC_IP, address: PUBLIC_IP, port: 993, secure: true })).toEqual({ host: PUBLIC_IP });
    expect(connectTarget({ host: 'outlook.office365.com', port: 993, secure: true })).toEqual({ host: 'outlook.office365.com' });
    expect(connectTarget({ host: '127.0.0.1', port: 143, secure: false })).toEqual({ host: '127.0.0.1', doSTARTTLS: false });
  });
});

describe('resolvePublicHost', () => {
  it('returns one checked address once all are public, IPv4 first', async () => {
    await expect(resolvePublicHost(HOST, async () => [PUBLIC_IP, '2603:1026::1'])).resolves.toBe(PUBLIC_IP);
    await expect(resolvePublicHost(HOST, async () => ['2603:1026::1', PUBLIC_IP])).resolves.toBe(PUBLIC_IP);
    await expect(resolvePublicHost(HOST, async () => ['2603:1026::1', '2603:1026::2'])).resolves.toBe('2603:1026::1');
    await expect(resolvePublicHost(PUBLIC_IP, async () => ['10.0.0.1'])).resolves.toBe(PUBLIC_IP);
  });
  it.each(['64:ff9b::a00:1', '64:ff9b::7f00:1', '64:ff9b:1::a00:1', '2002:a00:1::1', '2002:7f00:1::1'])('%s (embeds IPv4) is not public', (ip) => {
    expect(isNonPublicAddress(ip)).toBe(true);
  });
  it('refuses when any address is private', async () => {
    await expect(resolvePublicHost(HOST, async () => [PUBLIC_IP, '64:ff9b::a00:1'])).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(resolvePublicHost(HOST, async () => [])).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('a password login connects to the address that was checked', () => {
  it('direct TLS: one resolution, the socket goes to that IP, servername is the host', async () => {
    const closedPort = await freePort();
    const realTlsConnect = tls.connect;
    const seen: tls.ConnectionOptions[] = [];
    vi.spyOn(tls, 'connect').mockImplementation(((options: tls.ConnectionOptions, callback?: () => void) => {
      seen.push(options);
      // Whatever imapflow asked for, the test sends it to a closed local port.
      return realTlsConnect({ ...options, host: '127.0.0.1', port: closedPort }, callback);
    }) as typeof tls.connect);
    const lookup = rebindingLookup();

    await expect(verifyPasswordLogin({ log, timeouts, lookup }, server(true, 993))).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/Could not reach/) });
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ host: PUBLIC_IP, port: 993, servername: HOST });
  });

  it('sessions too: each login resolves once and uses that answer', async () => {
    const closedPort = await freePort();
    const realTlsConnect = tls.connect;
    const seen: tls.ConnectionOptions[] = [];
    vi.spyOn(tls, 'connect').mockImplementation(((options: tls.ConnectionOptions, callback?: () => void) => {
      seen.push(options);
      return realTlsConnect({ ...options, host: '127.0.0.1', port: closedPort }, callback);
    }) as typeof tls.connect);
    const lookup = rebindingLookup();
    const deps = { log, timeouts, lookup, ensureFreshToken: async () => ({ accessToken: 'unused', expiresAt: 0 }), oauthEndpoint: { host: 'imap.invalid', port: 993, secure: true } };
    const account = { kind: 'password' as const, credentialId: 'c1', email: 'u@example.com', server: () => server(true, 993) };

    await expect(openSession(deps, account)).rejects.toBeDefined();
    expect(seen.map((o) => [o.host, o.servername])).toEqual([[PUBLIC_IP, HOST]]);
    // The next login resolves again and now meets the private answer: refused before connecting.
    await expect(openSession(deps, account)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/public internet/) });
    expect(lookup).toHaveBeenCalledTimes(2);
    expect(seen).toHaveLength(1);
  });

  describe('STARTTLS', () => {
    let fake: net.Server;
    let fakePort = 0;
    const received: string[] = [];
    beforeAll(async () => {
      // Offers STARTTLS, accepts it, then drops the connection at the TLS handshake.
      fake = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.write('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n');
        let upgraded = false;
        socket.on('data', (data: Buffer) => {
          if (upgraded) return void socket.destroy();
          const line = data.toString();
          received.push(line);
          const tag = line.split(' ')[0];
          if (/STARTTLS/i.test(line)) {
            upgraded = true;
            socket.write(`${tag} OK begin TLS\r\n`);
          } else if (/CAPABILITY/i.test(line)) socket.write(`* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n${tag} OK done\r\n`);
          else socket.write(`${tag} BAD no\r\n`);
        });
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      fakePort = (fake.address() as net.AddressInfo).port;
    });
    afterAll(() => {
      fake?.close();
    });

    it('the plain socket goes to the checked IP and the upgrade names the host', async () => {
      const realNetConnect = net.connect;
      const realTlsConnect = tls.connect;
      const plain: net.NetConnectOpts[] = [];
      const upgrades: tls.ConnectionOptions[] = [];
      vi.spyOn(net, 'connect').mockImplementation(((options: net.TcpNetConnectOpts, callback?: () => void) => {
        plain.push(options);
        return realNetConnect({ ...options, host: '127.0.0.1', port: fakePort }, callback);
      }) as typeof net.connect);
      vi.spyOn(tls, 'connect').mockImplementation(((options: tls.ConnectionOptions, callback?: () => void) => {
        upgrades.push(options);
        return realTlsConnect(options, callback);
      }) as typeof tls.connect);
      const lookup = rebindingLookup();

      await expect(verifyPasswordLogin({ log, timeouts, lookup }, server(false, 143))).rejects.toMatchObject({ code: 'invalid_request' });
      expect(lookup).toHaveBeenCalledTimes(1);
      expect(plain).toHaveLength(1);
      expect(plain[0]).toMatchObject({ host: PUBLIC_IP, port: 143 });
      expect(upgrades).toHaveLength(1);
      expect(upgrades[0]).toMatchObject({ host: PUBLIC_IP, servername: HOST });
      expect(upgrades[0]!.socket).toBeDefined();
      // STARTTLS happened before any credential.
      expect(received.join('')).toMatch(/STARTTLS/i);
      expect(received.join('')).not.toMatch(/LOGIN |AUTHENTICATE|secret-password/i);
    });
  });
});

describe('imapflow log entries', () => {
  it('keep only an error code, never message text', () => {
    expect(imapLogFields({ msg: '* 1 FETCH (BODY[] {12}\r\nSecret body)', err: { code: 'ETIMEOUT', message: 'x' } })).toEqual({ code: 'ETIMEOUT' });
    expect(imapLogFields({ msg: 'Unexpected char at position 3: Dear Ada, your password is' })).toEqual({});
    expect(imapLogFields({ err: { code: 'Dear Ada, here is the text' } })).toEqual({});
    expect(imapLogFields({ err: { code: 42 } })).toEqual({});
    expect(imapLogFields('string entry')).toEqual({});
    expect(imapLogFields(null)).toEqual({});
  });
});

describe('the logger handed to imapflow', () => {
  const log = childLogger('test');
  it('tells imapflow that trace and debug are off, so it does not serialize protocol lines for them', () => {
    const logger = quietLogger(log);
    expect(logger.isLevelEnabled('trace')).toBe(false);
    expect(logger.isLevelEnabled('debug')).toBe(false);
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(logger.isLevelEnabled('warn')).toBe(true);
    expect(logger.isLevelEnabled('error')).toBe(true);
  });

  it('is what the client consults before building a FETCH trace entry', () => {
    const client = createClient({ endpoint: { host: '127.0.0.1', port: 1, secure: false }, auth: { user: 'u', pass: 'p' }, log });
    // imapflow's own gate (imap-flow.js: `if (this.isLogLevelEnabled(logLevel))` before compiling a response for the log).
    const gate = client as unknown as { isLogLevelEnabled(level: string): boolean };
    expect(gate.isLogLevelEnabled('trace')).toBe(false);
    expect(gate.isLogLevelEnabled('debug')).toBe(false);
    expect(gate.isLogLevelEnabled('warn')).toBe(true);
  });
});
