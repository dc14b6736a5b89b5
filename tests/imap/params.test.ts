import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseGetAttachmentParams, parseGetMessageParams, parseListMessagesParams } from '@/lib/imap';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
}

describe('parseListMessagesParams', () => {
  it('defaults to INBOX and 50', () => {
    expect(parseListMessagesParams({})).toEqual({ mailbox: 'INBOX', limit: 50 });
    expect(parseListMessagesParams({ mailbox: 'Sent Items', limit: '100' })).toEqual({ mailbox: 'Sent Items', limit: 100 });
    expect(parseListMessagesParams({ limit: 1 })).toEqual({ mailbox: 'INBOX', limit: 1 });
  });

  it.each(['-1', '0', '101', 'abc', '1.5', '1e2', ' 5', '99999999999'])('rejects limit=%s', (limit) => {
    expect(code(() => parseListMessagesParams({ limit }))).toBe('invalid_request');
  });

  it.each(['IN\r\nBOX', 'INBOX\n', 'IN\0BOX', 'a'.repeat(600)])('rejects a mailbox name with control characters or too long (%#)', (mailbox) => {
    expect(code(() => parseListMessagesParams({ mailbox }))).toBe('invalid_request');
  });

  it('rejects malformed cursors and accepts its own', () => {
    for (const cursor of ['x', 'not a cursor!', Buffer.from('v1:1:0').toString('base64url'), Buffer.from('v2:1:5').toString('base64url'), 'A'.repeat(80)]) {
      expect(code(() => parseListMessagesParams({ cursor }))).toBe('invalid_request');
    }
    const good = Buffer.from('v1:1700000000:42').toString('base64url');
    expect(parseListMessagesParams({ cursor: good }).cursor).toEqual({ uidValidity: '1700000000', beforeUid: 42 });
  });

  it('names the parameter in the message', () => {
    try {
      parseListMessagesParams({ limit: '-1' });
    } catch (error) {
      expect((error as AppError).message).toMatch(/^limit/);
    }
  });
});

describe('parseGetMessageParams', () => {
  it('accepts positive integer UIDs', () => {
    expect(parseGetMessageParams({ uid: '42' })).toEqual({ mailbox: 'INBOX', uid: 42 });
    expect(parseGetMessageParams({ uid: 7, mailbox: 'Archive' })).toEqual({ mailbox: 'Archive', uid: 7 });
  });

  it.each(['abc', '0', '-3', '1.0', '', '4294967296', undefined])('rejects uid=%s', (uid) => {
    expect(code(() => parseGetMessageParams({ uid }))).toBe('invalid_request');
  });
});

describe('parseGetAttachmentParams', () => {
  it('accepts IMAP body part numbers', () => {
    expect(parseGetAttachmentParams({ uid: '42', attachmentId: '2' })).toEqual({ mailbox: 'INBOX', uid: 42, attachmentId: '2' });
    expect(parseGetAttachmentParams({ uid: 1, attachmentId: '1.2.10', mailbox: 'Archive' })).toEqual({ mailbox: 'Archive', uid: 1, attachmentId: '1.2.10' });
  });

  it.each(['', '0', '01', '1.0', '1.', '.1', '1..2', 'a', '2 ', '1.2.MIME', 'HEADER', 'TEXT', '12345', `1${'.1'.repeat(16)}`, '2\r\n', '../2', undefined])(
    'rejects attachmentId=%j',
    (attachmentId) => {
      expect(code(() => parseGetAttachmentParams({ uid: '1', attachmentId }))).toBe('invalid_request');
    },
  );

  it('checks the uid too', () => {
    expect(code(() => parseGetAttachmentParams({ uid: 'x', attachmentId: '2' }))).toBe('invalid_request');
  });
});
