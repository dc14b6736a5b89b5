// One attachment of a message, streamed from the server: the part is looked up in BODYSTRUCTURE
// (the same listing the message JSON's ids come from), its size checked before anything is
// fetched, then FETCH BODY[part] in chunks (imapflow's download(), transfer encoding decoded,
// charsets left alone so the bytes are the ones attached). Read through EXAMINE: nothing on the
// server changes.
import type { ImapFlow } from 'imapflow';
import { AppError } from '../errors';
import { estimateDecodedSize, findAttachmentPart } from './attachments';
import { MAX_MESSAGE_BYTES } from './get-message';
import { withMailbox } from './mailbox-lock';
import type { GetAttachmentParams } from './params';
import { toPartStream, type PartStreamEnd, type PartStreamOptions } from './part-stream';

/** Larger parts are not downloaded through the service (the message view's limit, too). */
export const MAX_ATTACHMENT_BYTES = MAX_MESSAGE_BYTES;

export interface AttachmentDownload {
  filename: string | null;
  contentType: string;
  charset: string | null;
  body: ReadableStream<Uint8Array>;
}

export interface DownloadAttachmentOptions extends GetAttachmentParams {
  maxBytes?: number;
  stallMs?: PartStreamOptions['stallMs'];
  deadlineMs?: PartStreamOptions['deadlineMs'];
  signal?: AbortSignal;
  /** Called once the body is ready to be handed out, before the bytes flow. */
  onReady: (download: AttachmentDownload) => void;
}

/**
 * Streams the part to `onReady`'s body and resolves once the stream is over (complete, failed
 * or cancelled), so the caller holds the session exactly as long as the bytes flow. Throws
 * (before `onReady`) not_found for a missing message or part, invalid_request for a part over
 * the limit.
 */
export async function downloadAttachment(client: ImapFlow, options: DownloadAttachmentOptions): Promise<PartStreamEnd> {
  const maxBytes = options.maxBytes ?? MAX_ATTACHMENT_BYTES;
  const uid = String(options.uid);
  return withMailbox(client, options.mailbox, async () => {
    const head = await client.fetchOne(uid, { uid: true, bodyStructure: true }, { uid: true });
    if (!head) throw new AppError('not_found', 'No such message');
    const part = findAttachmentPart(head.bodyStructure, options.attachmentId);
    if (!part) throw new AppError('not_found', 'No such attachment');
    const size = estimateDecodedSize(part);
    if (size > maxBytes) {
      throw new AppError('invalid_request', `This attachment is too large to download here (${Math.ceil(size / (1024 * 1024))} MB)`);
    }
    // One byte over the limit is asked for, so a part that really is larger fails the stream
    // instead of ending silently at the limit.
    const fetched = await client.download(uid, part.id, { uid: true, maxBytes: maxBytes + 1, decodeText: false });
    if (!fetched.content) throw new AppError('not_found', 'No such attachment');
    const { body, done } = toPartStream(fetched.content, {
      maxBytes,
      ...(options.stallMs !== undefined ? { stallMs: options.stallMs } : {}),
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.onReady({ filename: part.filename, contentType: part.contentType, charset: part.charset, body });
    const end = await done;
    // Stopped midway: a chunk FETCH may still be in flight. A NOOP queues behind it, so the
    // session goes back to the pool only once the connection is quiet again.
    if (end.outcome !== 'complete' && client.usable) await client.noop().catch(() => undefined);
    return end;
  });
}
