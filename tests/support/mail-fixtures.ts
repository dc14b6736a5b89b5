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
