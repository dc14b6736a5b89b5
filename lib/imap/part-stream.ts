// A Node readable (imapflow's download stream) as a web ReadableStream for a Response body, with
// an end the IMAP session can wait for. A download holds a pooled IMAP session while its bytes
// flow, so every way it can stop must release it: the last byte, an IMAP or network error, the
// client going away (the body is cancelled), a consumer that stops reading for too long, or more
// bytes than the cap (then the stream fails rather than end early: a truncated file must not
// look complete).
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import { errorLabel } from './errors';

export interface PartStreamEnd {
  outcome: 'complete' | 'cancelled' | 'failed';
  /** Why it failed, for logs: stalled, deadline, too_large, ended_early or the error's label. */
  reason?: string;
}

export interface PartStreamOptions {
  /** More bytes than this fails the stream. */
  maxBytes: number;
  /** Fails the stream when no byte was taken for this long (a reader that stopped reading). */
  stallMs?: number;
  /** Fails the stream when it has not finished after this long. */
  deadlineMs?: number;
  /**
   * Ends the stream as cancelled when it aborts: the request's signal, for a client that went
   * away, or a HEAD request whose body is never read.
   */
  signal?: AbortSignal;
}

export interface PartStream {
  body: ReadableStream<Uint8Array>;
  /** Resolves (never rejects) once the source is finished with, however that happened. */
  done: Promise<PartStreamEnd>;
}

export const DEFAULT_STALL_MS = 60_000;
export const DEFAULT_DEADLINE_MS = 15 * 60_000;

/** Queued in the web stream before the source is paused. */
const HIGH_WATER_BYTES = 256 * 1024;

export function toPartStream(source: Readable, options: PartStreamOptions): PartStream {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  let sent = 0;
  let end: PartStreamEnd | undefined;
  let resolveDone!: (end: PartStreamEnd) => void;
  const done = new Promise<PartStreamEnd>((resolve) => (resolveDone = resolve));
  let stallTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const finish = (outcome: PartStreamEnd['outcome'], reason?: string, message?: string) => {
    if (end) return;
    const settled: PartStreamEnd = reason ? { outcome, reason } : { outcome };
    end = settled;
    clearTimeout(stallTimer);
    clearTimeout(deadlineTimer);
    options.signal?.removeEventListener('abort', onAbort);
    if (outcome !== 'complete') {
      // Never the library's own error: its message can echo protocol lines.
      try {
        controller.error(new AppError('upstream_unavailable', message ?? (outcome === 'cancelled' ? 'The download was cancelled' : 'The download failed')));
      } catch {
        // already closed or errored
      }
    }
    // Wait for the source to be torn down (imapflow stops fetching chunks on close) before the
    // session counts as free again.
    if (source.destroyed && source.closed) resolveDone(settled);
    else {
      source.once('close', () => resolveDone(settled));
      source.destroy();
    }
  };

  const onAbort = () => finish('cancelled');

  const armStall = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => finish('failed', 'stalled', 'The download stalled'), stallMs);
    stallTimer.unref();
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        source.on('data', (chunk: Buffer) => {
          if (end) return;
          sent += chunk.length;
          if (sent > options.maxBytes) {
            finish('failed', 'too_large', 'The file is larger than the download limit');
            return;
          }
          try {
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          } catch {
            // The body was cancelled under us.
            finish('cancelled');
            return;
          }
          armStall();
          if ((controller.desiredSize ?? 0) <= 0) source.pause();
        });
        source.once('end', () => {
          if (end) return;
          controller.close();
          finish('complete');
        });
        source.once('error', (error) => finish('failed', errorLabel(error)));
        source.once('close', () => finish('failed', 'ended_early', 'The download ended early'));
        armStall();
        if (options.deadlineMs !== 0) {
          deadlineTimer = setTimeout(
            () => finish('failed', 'deadline', 'The download took too long'),
            options.deadlineMs ?? DEFAULT_DEADLINE_MS,
          );
          deadlineTimer.unref();
        }
        if (options.signal?.aborted) finish('cancelled');
        else options.signal?.addEventListener('abort', onAbort, { once: true });
      },
      pull() {
        if (!end) source.resume();
      },
      cancel() {
        finish('cancelled');
      },
    },
    { highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
  );
  return { body, done };
}
