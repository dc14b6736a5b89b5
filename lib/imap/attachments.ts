// Which body parts of a message are its attachments, read from the server's BODYSTRUCTURE (pure).
// The attachment id is the IMAP body part number ("2", "1.2", "3.1"): exactly what FETCH BODY[…]
// (imapflow's download()) asks the same server for, so the ids in a message's JSON and the parts
// the download route streams come from one function and cannot disagree. Which parts count as
// attachments follows mailparser's rules (what the message view shows as body stays body):
//   - a leaf whose type is not text/plain, text/html or message/delivery-status, or whose
//     disposition is not inline, is an attachment;
//   - a part with a Content-ID inside multipart/related is the HTML's inline image, not listed;
//   - message/rfc822 is one attachment (the .eml), unless it is marked inline with an identity
//     encoding: then its own parts are walked, as mailparser shows such a message in place.
import type { MessageStructureObject } from 'imapflow';

export interface AttachmentPart {
  /** IMAP body part number, e.g. "2" or "1.2". */
  id: string;
  filename: string | null;
  /** Declared type, lowercased `type/subtype`. */
  contentType: string;
  charset: string | null;
  /** Transfer-encoded size the server reports (an upper bound of the decoded size). */
  encodedSize: number;
  encoding: string | null;
  /**
   * The part's number as mailparser (mailsplit) counts it, for matching its decoded sizes: the
   * body of a single-part message or embedded message has its container's number there (null
   * for the message itself), where IMAP appends ".1".
   */
  parserPartId: string | null;
}

const BODY_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

/** Strict shape of an attachment id: dot-separated part numbers, no zeros, bounded. */
export const ATTACHMENT_ID = /^[1-9][0-9]{0,3}(?:\.[1-9][0-9]{0,3}){0,15}$/;

interface Place {
  id: number[];
  parser: number[];
  inRelated: boolean;
}

export function listAttachmentParts(root: MessageStructureObject | undefined): AttachmentPart[] {
  if (!root) return [];
  const out: AttachmentPart[] = [];
  if (isMultipart(root)) walkChildren(root, { id: [], parser: [], inRelated: false }, out);
  else visitLeaf(root, { id: [1], parser: [], inRelated: false }, out);
  return out;
}

export function findAttachmentPart(root: MessageStructureObject | undefined, id: string): AttachmentPart | null {
  return listAttachmentParts(root).find((part) => part.id === id) ?? null;
}

function isMultipart(node: MessageStructureObject): boolean {
  return node.type.startsWith('multipart/');
}

function walkChildren(node: MessageStructureObject, place: Place, out: AttachmentPart[]): void {
  const inRelated = place.inRelated || node.type === 'multipart/related';
  (node.childNodes ?? []).forEach((child, i) => {
    const n = i + 1;
    const at = { id: [...place.id, n], parser: [...place.parser, n], inRelated };
    if (isMultipart(child)) walkChildren(child, at, out);
    else visitLeaf(child, at, out);
  });
}

function visitLeaf(node: MessageStructureObject, place: Place, out: AttachmentPart[]): void {
  const disposition = normalizeDisposition(node);
  if (node.type === 'message/rfc822') {
    const inner = node.childNodes?.[0];
    const encoding = (node.encoding ?? '7bit').toLowerCase();
    if (inner && disposition === 'inline' && IDENTITY_ENCODINGS.has(encoding)) {
      if (isMultipart(inner)) walkChildren(inner, place, out);
      // The body of a single-part embedded message is part N.1 in IMAP; mailsplit says N.
      else visitLeaf(inner, { id: [...place.id, 1], parser: place.parser, inRelated: place.inRelated }, out);
      return;
    }
  }
  const isAttachment = !BODY_TYPES.has(node.type) || disposition !== 'inline';
  if (!isAttachment) return;
  if (place.inRelated && node.id) return;
  out.push({
    id: place.id.join('.'),
    filename: filenameOf(node),
    contentType: node.type,
    charset: node.parameters?.charset ?? null,
    encodedSize: node.size ?? 0,
    encoding: node.encoding ?? null,
    parserPartId: place.parser.length > 0 ? place.parser.join('.') : null,
  });
}

/** mailparser's reading: unknown dispositions are attachments; none means inline for body types. */
function normalizeDisposition(node: MessageStructureObject): 'inline' | 'attachment' {
  const d = node.disposition?.toLowerCase();
  if (d === 'inline' || d === 'attachment') return d;
  if (d) return 'attachment';
  return BODY_TYPES.has(node.type) ? 'inline' : 'attachment';
}

function filenameOf(node: MessageStructureObject): string | null {
  const name = node.dispositionParameters?.filename ?? node.parameters?.name;
  return typeof name === 'string' && name.trim() !== '' ? name : null;
}

/**
 * The decoded size of a part whose exact size is not known: base64 carries 57 bytes per
 * 78-byte line (76 characters and CRLF); other encodings are taken at their encoded size.
 */
export function estimateDecodedSize(part: Pick<AttachmentPart, 'encodedSize' | 'encoding'>): number {
  if (part.encoding?.toLowerCase() === 'base64') return Math.floor((part.encodedSize * 57) / 78);
  return part.encodedSize;
}
