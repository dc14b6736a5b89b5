// Attachments listed from a real Dovecot's BODYSTRUCTURE and downloaded part by part: the ids in
// the message JSON are the parts the download streams, the bytes are the ones attached, and the
// pooled session is held while the bytes flow and released however the download ends.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseGetAttachmentParams, type AttachmentDownload, type ImapService } from '@/lib/imap';
import { buildEml, buildMimeEml, encodedWord, rfc2231 } from '../support/mail-fixtures';
import { createImapFixture, type ImapFixture } from '../support/imap';

let f: ImapFixture;
let imap: ImapService;

beforeAll(async () => {
  f = await createImapFixture();
  imap = f.imap();
});
afterAll(async () => {
  await f?.close();
});

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer());
}

async function download(service: ImapService, credentialId: string, uid: number, attachmentId: string, mailbox = 'INBOX'): Promise<AttachmentDownload> {
  return service.openAttachment(credentialId, parseGetAttachmentParams({ uid, attachmentId, mailbox }));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).code;
}

const PDF = randomBytes(40_000);
const LOGO = randomBytes(700);
const PHOTO = randomBytes(1_500);
const RESUME = randomBytes(333);
const JAPANESE = Buffer.from('日本語のテキスト\r\n', 'utf8');
const LATIN1 = Buffer.from('caf\xe9 cr\xe8me\r\n', 'latin1');
const INNER_PDF = randomBytes(2_000);
const innerMessage = buildMimeEml(
  {
    multipart: 'mixed',
    parts: [
      { type: 'text/plain; charset=utf-8', content: 'The forwarded text.', encoding: '7bit' },
      { type: 'application/pdf; name="inner.pdf"', headers: ['Content-Disposition: attachment; filename="inner.pdf"'], content: INNER_PDF },
    ],
  },
  { subject: 'Forwarded' },
);

/**
 *  (root) multipart/mixed
 *   1     multipart/related
 *   1.1     multipart/alternative: 1.1.1 text/plain, 1.1.2 text/html
 *   1.2     image/png with Content-ID (inline image of the HTML: not listed)
 *   2     application/pdf
 *   3     image/jpeg, inline, no Content-ID (listed, as mailparser lists it)
 *   4     application/octet-stream, RFC 2231 file name
 *   5     text/plain attachment, encoded-word file name
 *   6     text/plain attachment in ISO-8859-1 (bytes must stay as sent)
 *   7     message/rfc822 attachment
 */
function complexMessage(): string {
  return buildMimeEml({
    multipart: 'mixed',
    parts: [
      {
        multipart: 'related',
        parts: [
          {
            multipart: 'alternative',
            parts: [
              { type: 'text/plain; charset=utf-8', content: 'See the logo.', encoding: '7bit' },
              { type: 'text/html; charset=utf-8', content: '<p>See <img src="cid:logo@x"></p>', encoding: '7bit' },
            ],
          },
          { type: 'image/png; name="logo.png"', headers: ['Content-ID: <logo@x>', 'Content-Disposition: inline; filename="logo.png"'], content: LOGO },
        ],
      },
      { type: 'application/pdf; name="report.pdf"', headers: ['Content-Disposition: attachment; filename="report.pdf"'], content: PDF },
      { type: 'image/jpeg; name="photo.jpg"', headers: ['Content-Disposition: inline; filename="photo.jpg"'], content: PHOTO },
      {
        type: `application/octet-stream; name*=${rfc2231('Résumé €.bin')}`,
        headers: [`Content-Disposition: attachment; filename*=${rfc2231('Résumé €.bin')}`],
        content: RESUME,
      },
      {
        type: `text/plain; charset=utf-8; name="${encodedWord('日本語.txt')}"`,
        headers: [`Content-Disposition: attachment; filename="${encodedWord('日本語.txt')}"`],
        content: JAPANESE,
      },
      { type: 'text/plain; charset=iso-8859-1; name="latin1.txt"', headers: ['Content-Disposition: attachment; filename="latin1.txt"'], content: LATIN1 },
      { type: 'message/rfc822', headers: ['Content-Disposition: attachment; filename="forwarded.eml"'], content: innerMessage, encoding: '7bit' },
    ],
  });
}

describe('the attachment list', () => {
  it('names body parts by their IMAP part numbers, skips inline images of the HTML, decodes file names', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, complexMessage());
    const message = await imap.getMessage(credentialId, { mailbox: 'INBOX', uid });
    expect(message.text).toContain('See the logo.');
    expect(message.attachments).toEqual([
      { id: '2', filename: 'report.pdf', contentType: 'application/pdf', size: PDF.length },
      { id: '3', filename: 'photo.jpg', contentType: 'image/jpeg', size: PHOTO.length },
      { id: '4', filename: 'Résumé €.bin', contentType: 'application/octet-stream', size: RESUME.length },
      { id: '5', filename: '日本語.txt', contentType: 'text/plain', size: JAPANESE.length },
      { id: '6', filename: 'latin1.txt', contentType: 'text/plain', size: LATIN1.length },
      { id: '7', filename: 'forwarded.eml', contentType: 'message/rfc822', size: expect.any(Number) },
    ]);
  });

  it('downloads every listed attachment byte for byte, by the id the list gives', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, complexMessage());
    const { attachments } = await imap.getMessage(credentialId, { mailbox: 'INBOX', uid });
    const expected: Record<string, Buffer> = { '2': PDF, '3': PHOTO, '4': RESUME, '5': JAPANESE, '6': LATIN1 };
    for (const attachment of attachments) {
      const got = await download(imap, credentialId, uid, attachment.id);
      expect({ filename: got.filename, contentType: got.contentType }).toEqual({ filename: attachment.filename, contentType: attachment.contentType });
      const bytes = await readAll(got.body);
      if (attachment.id === '7') {
        // The embedded message as it was attached (line endings as stored).
        expect(bytes.toString('utf8').trimEnd()).toBe(innerMessage.trimEnd());
        expect(bytes.length).toBe(attachment.size);
      } else {
        expect(bytes.equals(expected[attachment.id]!)).toBe(true);
      }
    }
    expect((await download(imap, credentialId, uid, '6')).charset).toBe('iso-8859-1');
  });

  it('a message that is a single attachment is part 1', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const bytes = randomBytes(5_000);
    const uid = await f.dovecot.save(
      email,
      buildMimeEml({ type: 'application/zip; name="bundle.zip"', headers: ['Content-Disposition: attachment; filename="bundle.zip"'], content: bytes }),
    );
    const { attachments } = await imap.getMessage(credentialId, { mailbox: 'INBOX', uid });
    expect(attachments).toEqual([{ id: '1', filename: 'bundle.zip', contentType: 'application/zip', size: bytes.length }]);
    expect((await readAll((await download(imap, credentialId, uid, '1')).body)).equals(bytes)).toBe(true);
  });

  it('lists the parts of an inline embedded message where it stands, and downloads them', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const single = randomBytes(900);
    const singleInner = buildMimeEml({ type: 'application/pdf; name="alone.pdf"', headers: ['Content-Disposition: attachment; filename="alone.pdf"'], content: single });
    const uid = await f.dovecot.save(
      email,
      buildMimeEml({
        multipart: 'mixed',
        parts: [
          { type: 'text/plain', content: 'Two forwards below.', encoding: '7bit' },
          { type: 'message/rfc822', headers: ['Content-Disposition: inline'], content: innerMessage, encoding: '7bit' },
          { type: 'message/rfc822', headers: ['Content-Disposition: inline'], content: singleInner, encoding: '7bit' },
        ],
      }),
    );
    const { attachments } = await imap.getMessage(credentialId, { mailbox: 'INBOX', uid });
    expect(attachments).toEqual([
      { id: '2.2', filename: 'inner.pdf', contentType: 'application/pdf', size: INNER_PDF.length },
      { id: '3.1', filename: 'alone.pdf', contentType: 'application/pdf', size: single.length },
    ]);
    expect((await readAll((await download(imap, credentialId, uid, '2.2')).body)).equals(INNER_PDF)).toBe(true);
    expect((await readAll((await download(imap, credentialId, uid, '3.1')).body)).equals(single)).toBe(true);
  });

  it('is empty for a plain message', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, buildEml({ text: 'just text', html: '<p>just html</p>' }));
    expect((await imap.getMessage(credentialId, { mailbox: 'INBOX', uid })).attachments).toEqual([]);
  });
});

describe('what cannot be downloaded', () => {
  it('is not_found for a missing message, a missing part, or a part that is not an attachment', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, complexMessage());
    expect(await codeOf(download(imap, credentialId, 9999, '2'))).toBe('not_found');
    expect(await codeOf(download(imap, credentialId, uid, '8'))).toBe('not_found');
    expect(await codeOf(download(imap, credentialId, uid, '2.1'))).toBe('not_found');
    // The text body and the HTML's inline image are not attachments.
    expect(await codeOf(download(imap, credentialId, uid, '1.1.1'))).toBe('not_found');
    expect(await codeOf(download(imap, credentialId, uid, '1.2'))).toBe('not_found');
    expect(await codeOf(download(imap, credentialId, uid, '1'))).toBe('not_found');
    expect(await codeOf(download(imap, credentialId, uid, '2', 'No Such Folder'))).toBe('not_found');
  });

  it('refuses a part larger than the limit before fetching it', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, complexMessage());
    const error = await imap
      .openAttachment(credentialId, parseGetAttachmentParams({ uid, attachmentId: '2' }), { maxBytes: 10_000 })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/too large/) });
  });

  it('fails the stream (never ends it early) when the part turns out larger than the limit', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const bytes = randomBytes(100_000);
    // 1,000-character base64 lines: the size estimated from BODYSTRUCTURE is below the real one.
    const uid = await f.dovecot.save(
      email,
      buildMimeEml({
        multipart: 'mixed',
        parts: [
          { type: 'text/plain', content: 'long lines', encoding: '7bit' },
          { type: 'application/pdf', headers: ['Content-Disposition: attachment; filename="long.pdf"'], content: bytes, lineLength: 1000 },
        ],
      }),
    );
    const got = await imap.openAttachment(credentialId, parseGetAttachmentParams({ uid, attachmentId: '2' }), { maxBytes: 99_000 });
    await expect(readAll(got.body)).rejects.toThrow(/larger than the download limit/);
    // And the session is usable afterwards.
    expect((await imap.getMessage(credentialId, { mailbox: 'INBOX', uid })).attachments).toHaveLength(1);
  });
});

describe('the pooled session during a download', () => {
  const big = randomBytes(3 * 1024 * 1024);
  const bigMessage = () =>
    buildMimeEml({
      multipart: 'mixed',
      parts: [
        { type: 'text/plain', content: 'big one', encoding: '7bit' },
        { type: 'application/octet-stream', headers: ['Content-Disposition: attachment; filename="big.bin"'], content: big },
      ],
    });

  it('is held while the bytes flow and released at the end', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, bigMessage());
    const single = f.imap({ maxSessionsPerMailbox: 1, acquireTimeoutMs: 300 });
    const got = await download(single, credentialId, uid, '2');
    const reader = got.body.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBeGreaterThan(0);
    // The only session is busy with the download.
    expect(await codeOf(single.listMailboxes(credentialId))).toBe('upstream_unavailable');
    const rest: Uint8Array[] = [first.value!];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    expect(Buffer.concat(rest).equals(big)).toBe(true);
    await expect.poll(async () => (await single.listMailboxes(credentialId).then(() => 'ok', () => 'busy'))).toBe('ok');
    expect(single.stats().opened).toBe(1);
  });

  it('is released when the client goes away midway, and works for the next request', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, bigMessage());
    const single = f.imap({ maxSessionsPerMailbox: 1, acquireTimeoutMs: 5_000 });
    const got = await download(single, credentialId, uid, '2');
    const reader = got.body.getReader();
    await reader.read();
    await reader.cancel();
    const started = Date.now();
    const message = await single.getMessage(credentialId, { mailbox: 'INBOX', uid });
    expect(message.attachments.map((a) => a.id)).toEqual(['2']);
    expect(Date.now() - started).toBeLessThan(3_000);
    // Same session reused, and a full download on it is intact (no stray chunk from before).
    expect((await readAll((await download(single, credentialId, uid, '2')).body)).equals(big)).toBe(true);
    expect(single.stats().opened).toBe(1);
  });

  it('is released when the request signal aborts, and the body then fails', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, bigMessage());
    const single = f.imap({ maxSessionsPerMailbox: 1, acquireTimeoutMs: 5_000 });
    const request = new AbortController();
    const got = await single.openAttachment(credentialId, parseGetAttachmentParams({ uid, attachmentId: '2' }), { signal: request.signal });
    request.abort();
    const started = Date.now();
    expect((await single.listMailboxes(credentialId))[0]?.path).toBe('INBOX');
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(readAll(got.body)).rejects.toThrow(/cancelled/);
    // A signal that aborted before the download even started.
    const gone = new AbortController();
    gone.abort();
    const late = await single.openAttachment(credentialId, parseGetAttachmentParams({ uid, attachmentId: '2' }), { signal: gone.signal });
    await expect(readAll(late.body)).rejects.toThrow(/cancelled/);
    expect((await single.listMailboxes(credentialId))[0]?.path).toBe('INBOX');
  });

  it('is released when nobody reads the body', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, bigMessage());
    const single = f.imap({ maxSessionsPerMailbox: 1, acquireTimeoutMs: 5_000 });
    const got = await single.openAttachment(credentialId, parseGetAttachmentParams({ uid, attachmentId: '2' }), { stallMs: 300 });
    const started = Date.now();
    expect((await single.listMailboxes(credentialId))[0]?.path).toBe('INBOX');
    expect(Date.now() - started).toBeLessThan(4_000);
    await expect(readAll(got.body)).rejects.toThrow(/stalled/);
  });
});
