// Which BODYSTRUCTURE parts are attachments, and their ids (lib/imap/attachments.ts, pure).
import type { MessageStructureObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { estimateDecodedSize, findAttachmentPart, listAttachmentParts } from '@/lib/imap/attachments';

const leaf = (type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({ type, size: 100, encoding: 'base64', ...extra });
const multi = (subtype: string, ...childNodes: MessageStructureObject[]): MessageStructureObject => ({ type: `multipart/${subtype}`, childNodes });
const ids = (root: MessageStructureObject) => listAttachmentParts(root).map((p) => p.id);

describe('listAttachmentParts', () => {
  it('numbers parts as IMAP does, whatever the parser filled in', () => {
    const root = multi('mixed', multi('alternative', leaf('text/plain'), leaf('text/html')), leaf('application/pdf', { part: 'bogus' }), multi('mixed', leaf('image/png'), leaf('image/gif')));
    expect(ids(root)).toEqual(['2', '3.1', '3.2']);
  });

  it('follows mailparser on dispositions: unknown ones are attachments, text without one is body', () => {
    const root = multi('mixed', leaf('text/plain'), leaf('text/plain', { disposition: 'attachment' }), leaf('text/html', { disposition: 'x-weird' }), leaf('image/png', { disposition: 'inline' }), leaf('message/delivery-status'));
    expect(ids(root)).toEqual(['2', '3', '4']);
  });

  it('skips only parts with a Content-ID inside multipart/related', () => {
    const root = multi('mixed', multi('related', leaf('text/html'), leaf('image/png', { id: '<a@b>' }), leaf('image/png')), leaf('image/png', { id: '<c@d>' }));
    expect(ids(root)).toEqual(['1.3', '2']);
  });

  it('keeps an attached message whole, and walks an inline one with an identity encoding', () => {
    const inner = multi('mixed', leaf('text/plain'), leaf('application/pdf'));
    const root = multi(
      'mixed',
      leaf('text/plain'),
      leaf('message/rfc822', { disposition: 'attachment', encoding: '7bit', childNodes: [inner] }),
      leaf('message/rfc822', { disposition: 'inline', encoding: '7bit', childNodes: [inner] }),
      leaf('message/rfc822', { disposition: 'inline', encoding: 'base64', childNodes: [inner] }),
      leaf('message/rfc822', { disposition: 'inline', encoding: '8bit', childNodes: [leaf('image/png')] }),
      leaf('message/rfc822', { encoding: '7bit', childNodes: [inner] }),
    );
    expect(ids(root)).toEqual(['2', '3.2', '4', '5.1', '6']);
    expect(listAttachmentParts(root).find((p) => p.id === '5.1')?.parserPartId).toBe('5');
  });

  it('makes a single-part message that is an attachment part 1', () => {
    expect(listAttachmentParts(leaf('application/zip', { dispositionParameters: { filename: 'a.zip' } }))).toEqual([
      { id: '1', filename: 'a.zip', contentType: 'application/zip', charset: null, encodedSize: 100, encoding: 'base64', parserPartId: null },
    ]);
    expect(listAttachmentParts(leaf('text/plain'))).toEqual([]);
    expect(listAttachmentParts(undefined)).toEqual([]);
  });

  it('takes the file name from the disposition, else the type’s name', () => {
    const root = multi('mixed', leaf('text/plain'), leaf('image/png', { parameters: { name: 'by-type.png' } }), leaf('image/png', { parameters: { name: 'x.png' }, dispositionParameters: { filename: 'by-disposition.png' } }), leaf('image/png', { parameters: { name: '  ' } }));
    expect(listAttachmentParts(root).map((p) => p.filename)).toEqual(['by-type.png', 'by-disposition.png', null]);
  });

  it('finds a part only among the attachments', () => {
    const root = multi('mixed', leaf('text/plain'), leaf('application/pdf'));
    expect(findAttachmentPart(root, '2')?.contentType).toBe('application/pdf');
    expect(findAttachmentPart(root, '1')).toBeNull();
    expect(findAttachmentPart(root, '3')).toBeNull();
  });
});

describe('estimateDecodedSize', () => {
  it('takes base64 line overhead into account', () => {
    // 57 bytes → one 76-character line plus CRLF.
    expect(estimateDecodedSize({ encodedSize: 78 * 1000, encoding: 'base64' })).toBe(57 * 1000);
    expect(estimateDecodedSize({ encodedSize: 500, encoding: 'quoted-printable' })).toBe(500);
    expect(estimateDecodedSize({ encodedSize: 500, encoding: null })).toBe(500);
  });
});
