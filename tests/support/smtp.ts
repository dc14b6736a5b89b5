// A real SMTP submission server for tests (nodemailer's smtp-server library), shaped like
// Exchange Online's smtp.office365.com:587 — STARTTLS with a certificate made for the test run
// (self-signed, generated with openssl; trust it with `ca` in-process or NODE_EXTRA_CA_CERTS for
// the app), AUTH only after STARTTLS, and
//   oauth2   — `AUTH XOAUTH2` only; the token is checked against the Microsoft emulator's SMTP
//              introspection (active only with SMTP.Send) and must belong to the named mailbox.
//              A bad token is `535 5.7.3`; a mailbox with SMTP AUTH disabled gets Microsoft's
//              `535 5.7.139`. Like Exchange, it keeps a copy in the sender's Sent Items.
//   password — `AUTH PLAIN/LOGIN` against logins added with addPasswordUser; no Sent copy.
// Every accepted message is delivered into Dovecot (`doveadm save`) for each recipient, so a test
// reads it back over IMAP from the recipient's mailbox.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Dovecot } from './dovecot';

export type SmtpMode = 'oauth2' | 'password';

export interface SmtpServerOptions {
  mode?: SmtpMode;
  /** oauth2: the emulator's SMTP introspection URL (resolved when a client authenticates). */
  introspectionUrl?: string | (() => string);
  /** Where accepted mail is delivered (resolved at delivery). */
  deliverTo: Dovecot | (() => Dovecot);
  /** oauth2: keep a copy in the sender's Sent Items, as Exchange Online does (default true). */
  saveSent?: boolean;
  /** Largest message accepted (SIZE), default 35 MB like Exchange Online. */
  maxBytes?: number;
}

export interface ReceivedMessage {
  /** Who authenticated. */
  user: string;
  from: string;
  to: string[];
  raw: Buffer;
}

export interface TestSmtpServer {
  readonly host: string;
  readonly port: number;
  readonly mode: SmtpMode;
  /** The server certificate (PEM) to trust. */
  readonly ca: string;
  /** Path of that certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** Environment pointing the app at this server (SMTP_* and NODE_EXTRA_CA_CERTS). */
  readonly appEnv: Record<string, string>;
  readonly received: ReceivedMessage[];
  /** Every AUTH attempt and how it ended ('ok', 'rejected', 'disabled'). */
  readonly authAttempts: Array<{ user: string; outcome: 'ok' | 'rejected' | 'disabled' }>;
  /** Microsoft's "SmtpClientAuthentication is disabled" for this mailbox (or undo it). */
  setSmtpAuthDisabled(user: string, disabled: boolean): void;
  /** Refuse the next `times` XOAUTH2 logins with 535 5.7.3 whatever the token (a token Exchange no longer takes). */
  rejectNextLogins(times: number): void;
  /** password mode: a login for AUTH PLAIN/LOGIN. */
  addPasswordUser(user: string, password: string): void;
  stop(): Promise<void>;
}

function makeCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

const resolve = <T,>(v: T | (() => T)): T => (typeof v === 'function' ? (v as () => T)() : v);

export async function startSmtpServer(options: SmtpServerOptions): Promise<TestSmtpServer> {
  const mode = options.mode ?? 'oauth2';
  if (mode === 'oauth2' && !options.introspectionUrl) throw new Error('oauth2 mode needs introspectionUrl');
  const dir = mkdtempSync(path.join(tmpdir(), 'mb-smtp-'));
  const { key, cert, certFile } = makeCertificate(dir);
  const received: ReceivedMessage[] = [];
  const authAttempts: TestSmtpServer['authAttempts'] = [];
  const disabled = new Set<string>();
  const passwords = new Map<string, string>();
  let rejectLogins = 0;

  const server = new SMTPServer({
    key,
    cert,
    name: 'smtp.mailbridge.test',
    banner: 'Mailbridge test submission service',
    authMethods: mode === 'oauth2' ? ['XOAUTH2'] : ['PLAIN', 'LOGIN'],
    // AUTH only once STARTTLS is done (allowInsecureAuth stays false), as on port 587 at Microsoft.
    allowInsecureAuth: false,
    size: options.maxBytes ?? 35 * 1024 * 1024,
    logger: false,
    disabledCommands: [],
    onAuth(auth, _session, callback) {
      const user = (auth.username ?? '').toLowerCase();
      const refuse = (outcome: 'rejected' | 'disabled', error: Error) => {
        authAttempts.push({ user, outcome });
        callback(error);
      };
      if (mode === 'password') {
        if (auth.method === 'XOAUTH2' || passwords.get(user) !== auth.password) return refuse('rejected', smtpError(535, '5.7.8 Authentication credentials invalid'));
        authAttempts.push({ user, outcome: 'ok' });
        return callback(null, { user });
      }
      if (auth.method !== 'XOAUTH2') return refuse('rejected', smtpError(504, '5.7.4 Unrecognized authentication type'));
      if (disabled.has(user)) {
        return refuse('disabled', smtpError(535, '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.'));
      }
      if (rejectLogins > 0) {
        rejectLogins -= 1;
        return refuse('rejected', smtpError(535, '5.7.3 Authentication unsuccessful'));
      }
      fetch(resolve(options.introspectionUrl!), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: auth.accessToken ?? '' }),
      })
        .then(async (res) => (await res.json()) as { active?: boolean; username?: string })
        .then((answer) => {
          if (answer.active === true && answer.username?.toLowerCase() === user) {
            authAttempts.push({ user, outcome: 'ok' });
            callback(null, { user });
          } else refuse('rejected', smtpError(535, '5.7.3 Authentication unsuccessful'));
        })
        .catch(() => callback(smtpError(454, '4.7.0 Temporary authentication failure')));
    },
    onMailFrom(address, session, callback) {
      // Exchange refuses to send as someone else (no send-as right here).
      const user = String(session.user ?? '');
      if (address.address.toLowerCase() !== user) return callback(smtpError(550, `5.7.60 SMTP; Client does not have permissions to send as this sender`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(smtpError(552, '5.3.4 Message size exceeds fixed maximum message size'));
        const raw = Buffer.concat(chunks);
        const message: ReceivedMessage = {
          user: String(session.user ?? ''),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw,
        };
        const dovecot = resolve(options.deliverTo);
        const deliveries = message.to.map((rcpt) => dovecot.save(rcpt, raw));
        if (mode === 'oauth2' && (options.saveSent ?? true)) deliveries.push(dovecot.save(message.user, raw, { mailbox: 'Sent Items', flags: ['\\Seen'] }));
        Promise.all(deliveries).then(
          () => {
            received.push(message);
            callback(null, 'Queued mail for delivery');
          },
          (error: unknown) => callback(smtpError(451, `4.3.0 Delivery failed: ${String(error)}`)),
        );
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((ok, fail) => {
    server.server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    mode,
    ca: cert,
    caFile: certFile,
    appEnv: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_SECURE: 'false', NODE_EXTRA_CA_CERTS: certFile },
    received,
    authAttempts,
    setSmtpAuthDisabled(user, value) {
      if (value) disabled.add(user.toLowerCase());
      else disabled.delete(user.toLowerCase());
    },
    rejectNextLogins(times) {
      rejectLogins = times;
    },
    addPasswordUser(user, password) {
      passwords.set(user.toLowerCase(), password);
    },
    async stop() {
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
