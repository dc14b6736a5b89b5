// Builds RFC 822 messages for seeding test mailboxes. Deliberately simple MIME: enough for
// mailparser to see text, html and attachments the way real clients send them.
import { randomBytes } from 'node:crypto';

export interface EmlAttachment {
  filename: string;
  contentType: string;
  content: Buffer | string;
}

export interface EmlOptions {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  date?: Date;
  text?: string;
  html?: string;
  attachments?: EmlAttachment[];
}

const CRLF = '\r\n';

function encodeHeader(value: string): string {
  // RFC 2047 for anything non-ASCII, so subjects with accents survive.
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}

function base64Lines(content: Buffer | string): string {
  return (Buffer.isBuffer(content) ? content : Buffer.from(content)).toString('base64').replace(/.{1,76}/g, (l) => l + CRLF);
}

function textPart(type: 'plain' | 'html', body: string): string {
  return `Content-Type: text/${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(body)}`;
}

export function buildEml(options: EmlOptions = {}): string {
  const headers = [
    `From: ${options.from ?? 'Sender <sender@example.com>'}`,
    `To: ${options.to ?? 'Recipient <recipient@example.com>'}`,
    ...(options.cc ? [`Cc: ${options.cc}`] : []),
    `Subject: ${encodeHeader(options.subject ?? 'Test message')}`,
    `Date: ${(options.date ?? new Date('2024-01-01T10:00:00Z')).toUTCString()}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@example.com>`,
    'MIME-Version: 1.0',
  ];
  const text = options.text ?? (options.html ? undefined : 'Hello.');
  const bodies: string[] = [];
  if (text !== undefined && options.html !== undefined) {
    const b = `alt-${randomBytes(6).toString('hex')}`;
    bodies.push(
      `Content-Type: multipart/alternative; boundary="${b}"${CRLF}${CRLF}` +
        `--${b}${CRLF}${textPart('plain', text)}--${b}${CRLF}${textPart('html', options.html)}--${b}--${CRLF}`,
    );
  } else if (options.html !== undefined) {
    bodies.push(textPart('html', options.html));
  } else {
    bodies.push(textPart('plain', text ?? ''));
  }

  const attachments = options.attachments ?? [];
  if (attachments.length === 0) return headers.join(CRLF) + CRLF + bodies[0];

  const boundary = `mix-${randomBytes(6).toString('hex')}`;
  const parts = [
    bodies[0],
    ...attachments.map(
      (a) =>
        `Content-Type: ${a.contentType}; name="${a.filename}"${CRLF}` +
        `Content-Disposition: attachment; filename="${a.filename}"${CRLF}` +
        `Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Lines(a.content)}`,
    ),
  ];
  return (
    headers.join(CRLF) +
    CRLF +
    `Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}` +
    parts.map((p) => `--${boundary}${CRLF}${p}`).join('') +
    `--${boundary}--${CRLF}`
  );
}

/** A MIME tree for messages buildEml cannot express (nesting, inline parts, embedded messages). */
export type MimePart =
  | { multipart: 'mixed' | 'related' | 'alternative'; parts: MimePart[] }
  | {
      /** Content-Type with its parameters, as it goes into the header. */
      type: string;
      /** Extra header lines (Content-Disposition, Content-ID…). */
      headers?: string[];
      /** Raw content; base64-encoded unless `encoding` says otherwise. */
      content: Buffer | string;
      encoding?: 'base64' | '7bit' | 'quoted-printable';
      /** base64 line length (76 by default; longer lines make the encoded size misleading). */
      lineLength?: number;
    };

function renderPart(part: MimePart): string {
  if ('multipart' in part) {
    const boundary = `${part.multipart}-${randomBytes(6).toString('hex')}`;
    return (
      `Content-Type: multipart/${part.multipart}; boundary="${boundary}"${CRLF}${CRLF}` +
      part.parts.map((p) => `--${boundary}${CRLF}${renderPart(p)}${CRLF}`).join('') +
      `--${boundary}--`
    );
  }
  const encoding = part.encoding ?? 'base64';
  const raw = Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content);
  const body =
    encoding === 'base64'
      ? raw.toString('base64').replace(new RegExp(`.{1,${part.lineLength ?? 76}}`, 'g'), (l) => l + CRLF).replace(/\r\n$/, '')
      : raw.toString('utf8');
  return [`Content-Type: ${part.type}`, ...(part.headers ?? []), `Content-Transfer-Encoding: ${encoding}`, '', body].join(CRLF);
}

/** An RFC 822 message whose body is `root`. */
export function buildMimeEml(root: MimePart, options: { subject?: string; from?: string; to?: string; date?: Date } = {}): string {
  const headers = [
    `From: ${options.from ?? 'Sender <sender@example.com>'}`,
    `To: ${options.to ?? 'Recipient <recipient@example.com>'}`,
    `Subject: ${encodeHeader(options.subject ?? 'Test message')}`,
    `Date: ${(options.date ?? new Date('2024-01-01T10:00:00Z')).toUTCString()}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@example.com>`,
    'MIME-Version: 1.0',
  ];
  return headers.join(CRLF) + CRLF + renderPart(root) + CRLF;
}

/** `=?UTF-8?B?…?=` (RFC 2047), as many clients still send non-ASCII file names. */
export function encodedWord(value: string): string {
  return `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}

/** `UTF-8''…` (RFC 2231) for a `filename*=` / `name*=` parameter. */
export function rfc2231(value: string): string {
  return `UTF-8''${encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
