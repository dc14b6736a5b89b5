// A password login never crosses a network in cleartext: without implicit TLS, STARTTLS is
// required unless the server is on loopback.
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { createImapService } from '@/lib/imap';
import { childLogger } from '@/lib/log';

const address = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

let server: net.Server;
let port = 0;
const received: string[] = [];

beforeAll(async () => {
  // A server that offers no STARTTLS and would happily take a cleartext password.
  server = net.createServer((socket) => {
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
    socket.on('data', (d: Buffer) => {
      const line = d.toString();
      received.push(line);
      const tag = line.split(' ')[0];
      if (/CAPABILITY/i.test(line)) socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
      else if (/LOGOUT/i.test(line)) socket.end(`* BYE\r\n${tag} OK bye\r\n`);
      else socket.write(`${tag} OK whatever\r\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  server?.close();
});

it.skipIf(!address)('refuses to send a password to a non-loopback server without TLS', async () => {
  const imap = createImapService({
    loadAccount: async () => null,
    ensureFreshToken: async () => ({ accessToken: 'unused', expiresAt: 0 }),
    oauthEndpoint: { host: '127.0.0.1', port: 1, secure: false },
    log: childLogger('imap'),
    allowPrivateHosts: true, // this machine's own address is often private; TLS is what is tested
  });
  const error = await imap
    .verifyPasswordLogin({ host: address!, port, secure: false, username: 'someone', password: 'cleartext-must-not-leave' })
    .then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('invalid_request');
  expect((error as AppError).message).toMatch(/TLS/);
  expect(received.join('')).not.toMatch(/LOGIN|AUTHENTICATE|cleartext-must-not-leave/i);
});
