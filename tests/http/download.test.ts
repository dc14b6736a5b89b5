// The headers every download route serves untrusted bytes with (lib/http/download.ts).
import { describe, expect, it } from 'vitest';
import { contentDisposition, downloadHeaders, downloadResponse, safeContentType, sanitizeFilename } from '@/lib/http/download';

describe('safeContentType', () => {
  it.each([
    ['application/pdf', 'application/pdf'],
    ['IMAGE/PNG', 'image/png'],
    ['image/jpeg; name="x.jpg"', 'image/jpeg'],
    ['text/plain', 'text/plain'],
    ['audio/mpeg', 'audio/mpeg'],
    ['video/mp4', 'video/mp4'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ])('keeps the inert type %s', (declared, served) => {
    expect(safeContentType(declared)).toBe(served);
  });

  it.each([
    'text/html',
    'TEXT/HTML; charset=utf-8',
    'application/xhtml+xml',
    'image/svg+xml',
    'text/xml',
    'application/xml',
    'application/rss+xml',
    'text/xsl',
    'text/javascript',
    'application/javascript',
    'application/ecmascript',
    'text/css',
    'application/x-shockwave-flash',
    'application/java-archive',
    'message/rfc822',
    'multipart/related',
    'video/vnd.example+xml',
    'application/octet-stream',
    'x-unknown/whatever',
    'text/html\r\nx-injected: 1',
    'image/png/extra',
    '',
    'garbage',
  ])('serves %j as application/octet-stream', (declared) => {
    expect(safeContentType(declared)).toBe('application/octet-stream');
  });

  it('treats a missing type as octet-stream', () => {
    expect(safeContentType(null)).toBe('application/octet-stream');
    expect(safeContentType(undefined)).toBe('application/octet-stream');
  });

  it('adds a plain-token charset to text types only', () => {
    expect(safeContentType('text/plain', 'ISO-8859-1')).toBe('text/plain; charset=iso-8859-1');
    expect(safeContentType('text/plain', 'utf-8"; x=1')).toBe('text/plain');
    expect(safeContentType('image/png', 'utf-8')).toBe('image/png');
  });
});

describe('sanitizeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['Résumé €.bin', 'Résumé €.bin'],
    ['../../etc/passwd', '_.._etc_passwd'],
    ['..\\..\\boot.ini', '_.._boot.ini'],
    ['a"b.txt', 'a_b.txt'],
    ['evil\r\nSet-Cookie: x=1.txt', 'evil Set-Cookie_ x=1.txt'],
    ['tab\there.txt', 'tab here.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['zero\u200Bwidth.txt', 'zerowidth.txt'],
    ['.bashrc', 'bashrc'],
    ['trailing. . .', 'trailing'],
    ['CON.txt', '_CON.txt'],
    ['nul', '_nul'],
    ['wild*card?.txt', 'wild_card_.txt'],
    ['  spaced   out  .txt ', 'spaced out .txt'],
    ['e\u0301.txt', 'é.txt'],
  ])('%j → %j', (raw, clean) => {
    expect(sanitizeFilename(raw)).toBe(clean);
  });

  it('falls back when nothing usable is left', () => {
    expect(sanitizeFilename(null)).toBe('download');
    expect(sanitizeFilename('')).toBe('download');
    expect(sanitizeFilename('\r\n\u0000')).toBe('download');
    expect(sanitizeFilename('...', 'attachment')).toBe('attachment');
  });

  it('caps the length and keeps the extension', () => {
    const long = sanitizeFilename(`${'a'.repeat(500)}.pdf`);
    expect(Array.from(long)).toHaveLength(180);
    expect(long.endsWith('.pdf')).toBe(true);
    expect(Array.from(sanitizeFilename('日'.repeat(400)))).toHaveLength(180);
  });

  it('never leaves a control character, quote or separator', () => {
    const nasty = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join('') + '/\\"name';
    const clean = sanitizeFilename(nasty);
    // eslint-disable-next-line no-control-regex
    expect(clean).not.toMatch(/[\u0000-\u001f\u007f-\u009f/\\"]/);
  });
});

describe('contentDisposition', () => {
  it('is a plain quoted filename for ASCII names', () => {
    expect(contentDisposition('report.pdf')).toBe('attachment; filename="report.pdf"');
  });

  it('adds filename* (RFC 8187) with an ASCII fallback for other names', () => {
    expect(contentDisposition('Résumé €.bin')).toBe(`attachment; filename="R_sum_ _.bin"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%82%AC.bin`);
    expect(contentDisposition('日本語.txt')).toBe(`attachment; filename="download.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt`);
    // `%` and the characters encodeURIComponent leaves alone but RFC 8187 does not allow.
    expect(contentDisposition("100% (it's)*.txt")).toBe(`attachment; filename="100_ (it's)_.txt"; filename*=UTF-8''100%25%20%28it%27s%29_.txt`);
  });

  it('cannot be broken out of', () => {
    const header = contentDisposition('x"; filename="evil.html\r\nX-Evil: 1');
    expect(header).toBe('attachment; filename="x_; filename=_evil.html X-Evil_ 1"');
    expect(header.match(/"/g)).toHaveLength(2);
  });

  it('uses the fallback for a missing name', () => {
    expect(contentDisposition(null, 'attachment')).toBe('attachment; filename="attachment"');
  });
});

describe('downloadHeaders', () => {
  it('sets every protection', () => {
    const headers = downloadHeaders({ filename: 'page.html', contentType: 'text/html' });
    expect(Object.fromEntries(headers)).toEqual({
      'content-type': 'application/octet-stream',
      'content-disposition': 'attachment; filename="page.html"',
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
      'content-security-policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    });
  });

  it('makes a response of the bytes', async () => {
    const response = downloadResponse(new Uint8Array([1, 2, 3]), { filename: 'a.bin', contentType: null });
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });
});
