// One nodemailer SMTP transport per submission: STARTTLS required on a plain port (requireTLS),
// implicit TLS when `secure`, the server's certificate always validated, XOAUTH2 for Microsoft
// mailboxes and PLAIN/LOGIN for password mailboxes. Never logs (nodemailer's logger is off:
// its debug output would carry the AUTH line).
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

export interface SmtpEndpoint {
  host: string;
  port: number;
  /** true: TLS from the first byte (465); false: STARTTLS, required (587). */
  secure: boolean;
  /** The address the host was resolved to and checked at (password mailboxes). */
  address?: string;
}

export type SmtpAuth = { user: string; accessToken: string } | { user: string; pass: string };

export interface SmtpTimeouts {
  connectionMs?: number;
  greetingMs?: number;
  socketMs?: number;
}

export interface SmtpTlsOptions {
  /** Extra trusted CA certificates (PEM); tests pass their self-signed one. */
  ca?: string | Buffer;
}

export function createSmtpTransport(input: { endpoint: SmtpEndpoint; auth: SmtpAuth; tls?: SmtpTlsOptions; timeouts?: SmtpTimeouts }): Transporter<SMTPTransport.SentMessageInfo> {
  const { endpoint, auth } = input;
  const options: SMTPTransport.Options = {
    host: endpoint.address ?? endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    requireTLS: !endpoint.secure,
    ignoreTLS: false,
    tls: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      // Connecting to a checked address: the certificate must still name the host.
      ...(endpoint.address ? { servername: endpoint.host } : {}),
      ...(input.tls?.ca ? { ca: input.tls.ca } : {}),
    },
    auth: 'accessToken' in auth ? { type: 'OAuth2', user: auth.user, accessToken: auth.accessToken } : { type: 'login', user: auth.user, pass: auth.pass },
    connectionTimeout: input.timeouts?.connectionMs ?? 15_000,
    greetingTimeout: input.timeouts?.greetingMs ?? 15_000,
    socketTimeout: input.timeouts?.socketMs ?? 60_000,
    logger: false,
    debug: false,
  };
  return nodemailer.createTransport(options);
}
