// One message, parsed with mailparser. Read through EXAMINE, so opening a message does not mark
// it \Seen (a GET changes nothing on the server).
import type { ImapFlow } from 'imapflow';
import { simpleParser, type AddressObject, type Attachment } from 'mailparser';
import { AppError } from '../errors';
import { toAddress, toAddressList, toIsoDate } from './addresses';
import { estimateDecodedSize, listAttachmentParts, type AttachmentPart } from './attachments';
import { messageFlags } from './flags';
import { withMailbox } from './mailbox-lock';
import { sanitizeMessageHtml } from './sanitize';
import type { AttachmentInfo, MailAddress, MessageDetail } from './types';

function addresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects.flatMap((o) => toAddressList(o.value));
}

/** Larger messages are not loaded into memory to be parsed and displayed. */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export async function getMessage(
  client: ImapFlow,
  options: { mailbox: string; uid: number; maxBytes?: number },
): Promise<MessageDetail> {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  const fetched = await withMailbox(client, options.mailbox, async () => {
    const head = await client.fetchOne(String(options.uid), { uid: true, size: true }, { uid: true });
    if (!head) return null;
    if ((head.size ?? 0) > maxBytes) {
      const mb = Math.ceil((head.size ?? 0) / (1024 * 1024));
      throw new AppError('invalid_request', `This message is too large to display here (${mb} MB)`);
    }
    return client.fetchOne(String(options.uid), { uid: true, flags: true, source: true, internalDate: true, bodyStructure: true }, { uid: true });
  });
  if (!fetched || !fetched.source) throw new AppError('not_found', 'No such message');

  const parsed = await simpleParser(fetched.source);
  return {
    uid: fetched.uid,
    subject: parsed.subject ?? '',
    from: toAddress(addresses(parsed.from)[0]),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    date: toIsoDate(parsed.date, fetched.internalDate),
    flags: messageFlags(fetched.flags),
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? sanitizeMessageHtml(parsed.html) : null,
    // From the server's BODYSTRUCTURE, so each id is the part the download route fetches.
    attachments: describeAttachments(listAttachmentParts(fetched.bodyStructure), parsed.attachments),
  };
}

/**
 * The listed parts with their decoded sizes: mailparser decoded the same source, so its
 * attachment at the same place (and of the same name) knows the exact size; otherwise the size
 * is estimated from the encoded one.
 */
function describeAttachments(parts: AttachmentPart[], parsed: Attachment[]): AttachmentInfo[] {
  const byPlace = new Map(parsed.map((a) => [a.partId ?? null, a]));
  return parts.map((part) => {
    const twin = byPlace.get(part.parserPartId);
    const same = twin !== undefined && (twin.filename ?? null) === part.filename;
    return { id: part.id, filename: part.filename, contentType: part.contentType, size: same ? twin.size : estimateDecodedSize(part) };
  });
}
