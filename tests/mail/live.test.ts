// Pure parts of live updates on the page side: the list reducer, the SSE wire format, the
// event → SSE message mapping, the streamed response (heartbeat, last event, cancel), and where
// the page polls instead.
import { describe, expect, it } from 'vitest';
import { liveUpdatesMode, parseEnv } from '@/lib/env';
import type { MessageSummary } from '@/lib/imap';
import { eventStreamResponse, formatSse, formatSseComment, type EventSink } from '@/lib/http/sse';
import { applyLiveEvent } from '@/lib/mail/live-list';
import { liveEventMessage } from '@/lib/mail/watch-mailbox';

const msg = (uid: number, flags: string[] = []): MessageSummary => ({ uid, subject: `m${uid}`, from: null, to: [], date: null, flags, size: 1 });
const uids = (list: MessageSummary[]) => list.map((m) => m.uid);

describe('applyLiveEvent', () => {
  const list = [msg(9), msg(7, ['\\Seen']), msg(3)];
  const first = { acceptNew: true, limit: 4 };

  it('puts new mail on top, once, within the page size', () => {
    const next = applyLiveEvent(list, { type: 'exists', messages: [msg(12), msg(10), msg(9)] }, first);
    expect(uids(next)).toEqual([12, 10, 9, 7]);
    expect(applyLiveEvent(list, { type: 'exists', messages: [msg(9)] }, first)).toBe(list);
  });

  it('ignores new mail where the list is not the newest messages (older pages, searches)', () => {
    expect(applyLiveEvent(list, { type: 'exists', messages: [msg(12)] }, { acceptNew: false, limit: 25 })).toBe(list);
  });

  it('replaces the flags of a listed message, and nothing else', () => {
    const next = applyLiveEvent(list, { type: 'flags', uid: 7, flags: ['\\Flagged', '\\Seen'] }, first);
    expect(next[1]!.flags).toEqual(['\\Flagged', '\\Seen']);
    expect(list[1]!.flags).toEqual(['\\Seen']);
    expect(applyLiveEvent(list, { type: 'flags', uid: 7, flags: ['\\Seen'] }, first)).toBe(list);
    expect(applyLiveEvent(list, { type: 'flags', uid: 99, flags: [] }, first)).toBe(list);
  });

  it('removes deleted messages', () => {
    expect(uids(applyLiveEvent(list, { type: 'expunge', uid: 7 }, first))).toEqual([9, 3]);
    expect(applyLiveEvent(list, { type: 'expunge', uid: 8 }, first)).toBe(list);
  });
});

describe('SSE format', () => {
  it('writes event, JSON data on one line, and a blank line', () => {
    expect(formatSse({ event: 'exists', data: { subject: 'a\nb' } })).toBe('event: exists\ndata: {"subject":"a\\nb"}\n\n');
    expect(formatSse({ retry: 5000 })).toBe('retry: 5000\n\n');
    // No way to inject another field through a name.
    expect(formatSse({ event: 'x\ndata: 1' })).toBe('event: xdata: 1\n\n');
    expect(formatSseComment('keep\nalive')).toBe(': keep alive\n\n');
  });

  it('maps watch events to SSE messages; error and end are the last', () => {
    expect(liveEventMessage({ type: 'expunge', uid: 4 })).toEqual({ message: { event: 'expunge', data: { uid: 4 } }, last: false });
    expect(liveEventMessage({ type: 'error', code: 'needs_reauth', message: 'Reconnect' })).toEqual({ message: { event: 'error', data: { code: 'needs_reauth', message: 'Reconnect' } }, last: true });
    expect(liveEventMessage({ type: 'end', reason: 'shutdown' }).last).toBe(true);
    expect(liveEventMessage({ type: 'ready', mailbox: 'INBOX', uidValidity: '7', count: 2 }).message).toEqual({ event: 'ready', data: { mailbox: 'INBOX', uidValidity: '7', count: 2 } });
  });
});

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean): Promise<{ text: string; ended: boolean }> {
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return { text, ended: true };
    text += decoder.decode(chunk.value);
    if (done(text)) return { text, ended: false };
  }
}

describe('eventStreamResponse', () => {
  it('streams events and heartbeat comments, and lets go when the client cancels', async () => {
    let sink: EventSink | undefined;
    let closed = 0;
    const response = await eventStreamResponse({
      heartbeatMs: 20,
      start: async (s) => {
        sink = s;
        s.send({ event: 'ready', data: {} });
        return { close: () => (closed += 1) };
      },
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const { text } = await readUntil(reader, (t) => t.includes(': keepalive'));
    expect(text.startsWith('retry: 5000\n\nevent: ready\ndata: {}\n\n')).toBe(true);
    sink!.send({ event: 'flags', data: { uid: 1 } });
    expect((await readUntil(reader, (t) => t.includes('event: flags'))).text).toContain('data: {"uid":1}');
    await reader.cancel();
    expect(closed).toBe(1);
  });

  it('ends the stream after the last event and closes the subscription', async () => {
    let closed = 0;
    const response = await eventStreamResponse({
      start: async (s) => {
        queueMicrotask(() => s.send({ event: 'error', data: { code: 'needs_reauth' } }, { last: true }));
        return { close: () => (closed += 1) };
      },
    });
    const { text, ended } = await readUntil(response.body!.getReader(), () => false);
    expect(ended).toBe(true);
    expect(text).toContain('event: error\ndata: {"code":"needs_reauth"}');
    expect(closed).toBe(1);
  });

  it('an error while starting is thrown (the route answers it as JSON), and an aborted request lets go', async () => {
    await expect(eventStreamResponse({ start: async () => Promise.reject(new Error('nope')) })).rejects.toThrow('nope');
    const abort = new AbortController();
    let closed = 0;
    const response = await eventStreamResponse({ signal: abort.signal, start: async () => ({ close: () => (closed += 1) }) });
    abort.abort();
    expect(closed).toBe(1);
    expect((await readUntil(response.body!.getReader(), () => false)).ended).toBe(true);
  });
});

describe('liveUpdatesMode', () => {
  it('is sse on a server, poll on Vercel, and what MAIL_LIVE_UPDATES says when set', () => {
    expect(liveUpdatesMode(parseEnv({}))).toBe('sse');
    expect(liveUpdatesMode(parseEnv({ VERCEL: '1' }))).toBe('poll');
    expect(liveUpdatesMode(parseEnv({ VERCEL: '1', MAIL_LIVE_UPDATES: 'sse' }))).toBe('sse');
    expect(liveUpdatesMode(parseEnv({ MAIL_LIVE_UPDATES: 'off' }))).toBe('off');
    expect(() => parseEnv({ MAIL_LIVE_UPDATES: 'websocket' })).toThrow(/MAIL_LIVE_UPDATES/);
    expect(parseEnv({}).MAIL_LIVE_POLL_SECONDS).toBe(30);
  });
});
