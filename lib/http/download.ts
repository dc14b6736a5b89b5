// Serving bytes that came from someone else (mail attachments, synced files) to a browser: the
// one place that decides their headers, so every download route gets the same protections.
//   - Always a download (`Content-Disposition: attachment`), never rendered inline.
//   - The filename is sanitized: no control characters, line breaks, quotes, path separators or
//     direction overrides; an ASCII `filename=` fallback plus the full name as
//     `filename*=UTF-8''…` (RFC 6266 / RFC 8187).
//   - Only content types known to be inert keep their type; anything a browser could run (HTML,
//     SVG, XML, scripts, unknown types…) is `application/octet-stream`. `nosniff` stops the
//     browser from guessing otherwise.
//   - A sandboxing CSP, no caching, and not embeddable by other sites.

/** Types served as they are declared. Everything else is application/octet-stream. */
const INERT_TYPES = new Set([
  'text/plain',
  'text/csv',
  'text/tab-separated-values',
  'text/calendar',
  'text/vcard',
  'text/markdown',
  'application/pdf',
  'application/json',
  'application/zip',
  'application/gzip',
  'application/x-7z-compressed',
  'application/x-tar',
  'application/rtf',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.ms-outlook',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/tiff',
  'image/heic',
  'image/heif',
]);

/** Media families that browsers only ever play, never run; minus anything XML-based. */
const INERT_FAMILIES = ['audio/', 'video/'];

const TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const CHARSET = /^[a-z0-9][a-z0-9._:-]{0,39}$/i;

export const SAFE_FALLBACK_TYPE = 'application/octet-stream';

/**
 * The Content-Type to serve for a declared type: the bare `type/subtype` when it is inert (text
 * types with their charset, if it is a plain token), otherwise application/octet-stream.
 */
export function safeContentType(declared: string | null | undefined, charset?: string | null): string {
  if (typeof declared !== 'string') return SAFE_FALLBACK_TYPE;
  const essence = declared.split(';', 1)[0]!.trim().toLowerCase();
  const [type, subtype, ...rest] = essence.split('/');
  if (rest.length > 0 || !type || !subtype || !TOKEN.test(type) || !TOKEN.test(subtype)) return SAFE_FALLBACK_TYPE;
  // XML can carry scripts and stylesheets (SVG, XHTML, XSLT) whatever the family says.
  if (subtype === 'xml' || subtype.endsWith('+xml') || subtype.includes('html')) return SAFE_FALLBACK_TYPE;
  const inert = INERT_TYPES.has(essence) || INERT_FAMILIES.some((family) => essence.startsWith(family));
  if (!inert) return SAFE_FALLBACK_TYPE;
  if (type === 'text' && typeof charset === 'string' && CHARSET.test(charset)) return `${essence}; charset=${charset.toLowerCase()}`;
  return essence;
}

const MAX_FILENAME_CHARS = 180;
// C0 and C1 controls, DEL, bidirectional overrides/isolates and marks (they make
// "invoice\u202Efdp.exe" display as "invoiceexe.pdf"), zero-width characters, BOM, and the
// Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
// Path separators, quotes and the characters Windows refuses in file names.
const RESERVED_CHARS = /[/\\"<>:|?*]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * A file name that is safe to offer: one path segment, printable, without quotes or separators,
 * not hidden (no leading dot), not a Windows device name, at most 180 characters (the extension
 * kept). `fallback` when nothing usable is left.
 */
export function sanitizeFilename(name: string | null | undefined, fallback = 'download'): string {
  let clean = typeof name === 'string' ? name.normalize('NFC') : '';
  clean = clean.replace(/[\t\n\v\f\r]+/g, ' ').replace(UNSAFE_CHARS, '').replace(RESERVED_CHARS, '_').replace(/\s+/g, ' ').trim();
  // Leading dots hide a file (or climb a directory); trailing dots and spaces Windows drops.
  clean = clean.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (WINDOWS_DEVICE.test(clean)) clean = `_${clean}`;
  clean = truncateKeepingExtension(clean, MAX_FILENAME_CHARS);
  return clean.length > 0 ? clean : fallback;
}

function truncateKeepingExtension(name: string, max: number): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length > 0 && ext.length <= 16) return chars.slice(0, max - ext.length).join('').trimEnd() + ext.join('');
  return chars.slice(0, max).join('').trimEnd();
}

/** RFC 8187 value-chars: everything but attr-char is percent-encoded (UTF-8). */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The ASCII stand-in for old clients: non-ASCII and `%` (some browsers decode it) become `_`. */
function asciiFallback(name: string, fallback: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|%/g, '_');
  const ext = /\.[A-Za-z0-9]{1,16}$/.exec(ascii)?.[0] ?? '';
  // A name that was all non-ASCII would be underscores: a readable stem, its extension kept.
  return /[A-Za-z0-9]/.test(ascii.slice(0, ascii.length - ext.length)) ? ascii : `${fallback}${ext}`;
}

/** `attachment; filename="ascii"; filename*=UTF-8''utf-8` for a (raw, untrusted) file name. */
export function contentDisposition(name: string | null | undefined, fallback = 'download'): string {
  const clean = sanitizeFilename(name, fallback);
  const ascii = asciiFallback(clean, fallback);
  return ascii === clean ? `attachment; filename="${clean}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(clean)}`;
}

export interface DownloadOptions {
  /** The file name as the sender or the drive gave it (untrusted). */
  filename: string | null | undefined;
  /** The declared Content-Type (untrusted). */
  contentType: string | null | undefined;
  charset?: string | null | undefined;
  /** Used when the file name is missing or nothing of it survives sanitizing. */
  fallbackName?: string;
}

/**
 * The download's headers. No Content-Length: Next.js drops it from route responses (the body is
 * sent chunked). In next.config.js, a rule for the download routes repeats the CSP and
 * referrer policy, because configured headers take precedence over a route's own.
 */
export function downloadHeaders(options: DownloadOptions): Headers {
  const headers = new Headers({
    'content-type': safeContentType(options.contentType, options.charset),
    'content-disposition': contentDisposition(options.filename, options.fallbackName),
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, no-store',
    // Should the bytes ever be rendered anyway: no scripts, no plugins, no loads, no framing.
    'content-security-policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
  });
  return headers;
}

/** A 200 download of `body` with the headers above. */
export function downloadResponse(body: ReadableStream<Uint8Array> | Uint8Array, options: DownloadOptions): Response {
  return new Response(body as BodyInit, { status: 200, headers: downloadHeaders(options) });
}
