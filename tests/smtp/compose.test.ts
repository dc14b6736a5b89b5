// Building messages and reading SMTP failures: pure, no servers.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { classifySmtpError, composeMessage, enhancedStatus, forwardSubject, replyRecipients, replyReferences, replySubject, type OriginalMessage } from '@/lib/smtp';

const from = { name: 'Ada Lovelace', address: 'ada@contoso.example' };
const original: OriginalMessage = {
  messageId: '<orig@contoso.example>',
  references: ['<root@contoso.example> <mid@contoso.example>'],
  subject: 'Plans',
  from: { name: 'Grace', address: 'grace@contoso.example' },
  replyTo: [],
  to: [from],
  cc: [],
  date: new Date('2024-05-01T09:30:00Z'),
  text: 'Line one\r\n\r\nLine <two>',
  html: '<p onclick="steal()">Line one</p><script>alert(1)</script>',
  attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('attached'), inline: false }],
};

describe('subjects and threading', () => {
  it('prefixes Re: and Fwd: once', () => {
    expect(replySubject('Plans')).toBe('Re: Plans');
    expect(replySubject('RE: Plans')).toBe('RE: Plans');
    expect(forwardSubject('Plans')).toBe('Fwd: Plans');
    expect(forwardSubject('Fw: Plans')).toBe('Fw: Plans');
  });

  it("references are the original's references then its Message-ID, without repeats", () => {
    expect(replyReferences(original)).toEqual(['<root@contoso.example>', '<mid@contoso.example>', '<orig@contoso.example>']);
    expect(replyReferences({ messageId: '<a@x>', references: ['<a@x>'] })).toEqual(['<a@x>']);
    expect(replyReferences({ messageId: null, references: [] })).toEqual([]);
    const long = Array.from({ length: 40 }, (_, i) => `<m${i}@x>`);
    const trimmed = replyReferences({ messageId: '<last@x>', references: long });
    expect(trimmed).toHaveLength(20);
    expect(trimmed[0]).toBe('<m0@x>');
    expect(trimmed.at(-1)).toBe('<last@x>');
  });
});

describe('replyRecipients', () => {
  const a = (address: string, name = '') => ({ name, address });
  const base = { from: a('grace@contoso.example', 'Grace'), replyTo: [], to: [a('ada@contoso.example'), a('bob@contoso.example')], cc: [a('Carol@contoso.example'), a('GRACE@contoso.example')] };

  it('reply: the sender, or the Reply-To it names', () => {
    expect(replyRecipients(base, 'ada@contoso.example', false)).toEqual({ to: [a('grace@contoso.example', 'Grace')], cc: [] });
    expect(replyRecipients({ ...base, replyTo: [a('list@contoso.example')] }, 'ada@contoso.example', false).to).toEqual([a('list@contoso.example')]);
  });

  it('reply all: the others as Cc, never oneself, nobody twice (case-insensitive)', () => {
    expect(replyRecipients(base, 'ADA@contoso.example', true)).toEqual({ to: [a('grace@contoso.example', 'Grace')], cc: [a('bob@contoso.example'), a('Carol@contoso.example')] });
  });

  it("a reply to one's own sent message goes to its recipients", () => {
    expect(replyRecipients({ ...base, from: a('ada@contoso.example') }, 'ada@contoso.example', false)).toEqual({ to: [a('bob@contoso.example')], cc: [] });
  });
});

describe('composeMessage', () => {
  it('a reply carries In-Reply-To and References and quotes the original', async () => {
    const m = await composeMessage({ from, to: [original.from!], subject: 'Re: Plans', text: 'Sounds good.', replyTo: original, date: new Date('2024-05-02T00:00:00Z') });
    const parsed = await simpleParser(m.raw);
    expect(parsed.inReplyTo).toBe('<orig@contoso.example>');
    expect(parsed.references).toEqual(['<root@contoso.example>', '<mid@contoso.example>', '<orig@contoso.example>']);
    expect(parsed.messageId).toBe(m.messageId);
    expect(parsed.text).toBe('Sounds good.\n\nOn Wed, 01 May 2024 09:30:00 GMT, Grace <grace@contoso.example> wrote:\n> Line one\n>\n> Line <two>\n');
    expect(m.envelope).toEqual({ from: 'ada@contoso.example', to: ['grace@contoso.example'] });
  });

  it("an HTML reply embeds the original sanitized, never its scripts or handlers", async () => {
    const m = await composeMessage({ from, to: [original.from!], subject: 'Re: Plans', html: '<p>Yes</p>', replyTo: original });
    const html = String((await simpleParser(m.raw)).html);
    expect(html).toContain('<p>Yes</p>');
    expect(html).toContain('<blockquote');
    expect(html).not.toMatch(/script|onclick/);
  });

  it("a forward carries the original's text and attachments, and no threading headers", async () => {
    const m = await composeMessage({ from, to: [{ name: '', address: 'bob@contoso.example' }], subject: 'Fwd: Plans', text: 'See below', forward: original });
    const parsed = await simpleParser(m.raw);
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.text).toContain('---------- Forwarded message ---------\nFrom: Grace <grace@contoso.example>');
    expect(parsed.text).toContain('Line <two>');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['a.txt', 'attached']]);
  });

  it('bcc goes in the envelope and the Sent copy only; recipients are deduplicated', async () => {
    const m = await composeMessage({
      from,
      to: [{ name: '', address: 'Bob@contoso.example' }],
      cc: [{ name: '', address: 'bob@contoso.example' }],
      bcc: [{ name: '', address: 'secret@contoso.example' }],
      subject: 'x',
      text: 'x',
    });
    expect(m.raw.toString()).not.toMatch(/^bcc:/im);
    expect(m.sentCopy.toString()).toMatch(/^Bcc: secret@contoso\.example/m);
    expect(m.envelope.to).toEqual(['bob@contoso.example', 'secret@contoso.example']);
  });

  it('values with line breaks cannot start headers of their own', async () => {
    const m = await composeMessage({
      from,
      to: [{ name: 'Eve\r\nBcc: victim@evil.example', address: 'eve@contoso.example' }],
      subject: 'Hi\r\nBcc: victim@evil.example\r\nX-Injected: yes',
      text: 'x',
    });
    const head = m.raw.toString().split('\r\n\r\n')[0]!;
    expect(head).not.toMatch(/^bcc:/im);
    expect(head).not.toMatch(/^x-injected:/im);
    expect(m.envelope.to).toEqual(['eve@contoso.example']);
  });
});

describe('classifySmtpError', () => {
  it('reads the enhanced status code of a reply', () => {
    expect(enhancedStatus('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.')).toBe('5.7.139');
    expect(enhancedStatus('250 OK')).toBeUndefined();
    expect(enhancedStatus(undefined)).toBeUndefined();
  });

  it("tells Microsoft's SMTP AUTH disabled apart from a rejected token", () => {
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.' }).kind).toBe('auth_disabled');
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.3 Authentication unsuccessful' }).kind).toBe('auth_rejected');
    expect(classifySmtpError({ code: 'EAUTH', response: '334 eyJzdGF0dXMiOiI0MDEifQ==' }).kind).toBe('auth_rejected');
  });

  it('classifies TLS, envelope, message and transient failures', () => {
    expect(classifySmtpError({ code: 'ETLS' }).kind).toBe('tls');
    expect(classifySmtpError({ code: 'ESOCKET', message: 'self-signed certificate' }).kind).toBe('tls');
    expect(classifySmtpError({ code: 'ESOCKET', message: "Hostname/IP does not match certificate's altnames" }).kind).toBe('tls');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.10 RESOLVER.ADR.RecipientNotFound' }).kind).toBe('recipients_rejected');
    expect(classifySmtpError({ code: 'EMESSAGE', responseCode: 554, response: '554 5.2.0 STOREDRV.Submission.Exception' }).kind).toBe('message_rejected');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 452, response: '452 4.5.3 Too many recipients' }).kind).toBe('unavailable');
    expect(classifySmtpError({ code: 'ECONNECTION' }).kind).toBe('unavailable');
    expect(classifySmtpError({ code: 'ETIMEDOUT' }).kind).toBe('unavailable');
    expect(classifySmtpError({ code: 'ESOCKET', message: 'read ECONNRESET' }).kind).toBe('unavailable');
    expect(classifySmtpError(new TypeError('x')).kind).toBe('unknown');
  });
});
