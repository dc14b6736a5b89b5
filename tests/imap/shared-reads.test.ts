// SharedReads on its own (no servers): who joins a read, who starts the next one, and what each
// caller gets back.
import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { SharedReads } from '@/lib/imap/shared-reads';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('SharedReads', () => {
  it('runs one read for identical callers that arrive before it starts; none can change what the others got', async () => {
    const reads = new SharedReads();
    let runs = 0;
    const read = async (started: () => void) => {
      runs++;
      started();
      return { messages: [{ uid: 1, flags: ['\\Seen'] }] };
    };
    const results = await Promise.all([reads.run('a', read), reads.run('a', read), reads.run('a', read)]);
    expect(runs).toBe(1);
    for (const r of results) expect(r).toEqual({ messages: [{ uid: 1, flags: ['\\Seen'] }] });
    expect(() => results[1]!.messages.push({ uid: 2, flags: [] })).toThrow(TypeError);
    expect(() => {
      results[1]!.messages[0]!.uid = 7;
    }).toThrow(TypeError);
    expect(() => results[2]!.messages[0]!.flags.pop()).toThrow(TypeError);
    expect(results[0]).toEqual({ messages: [{ uid: 1, flags: ['\\Seen'] }] });
    expect(reads.size).toBe(0);
  });

  it('does not join a caller to a read that already started; it runs the next one', async () => {
    const reads = new SharedReads();
    const hold = gate();
    const startedReads: number[] = [];
    const read = (n: number) => async (started: () => void) => {
      started();
      startedReads.push(n);
      await hold.opened;
      return n;
    };
    const first = reads.run('a', read(1));
    await new Promise((r) => setTimeout(r, 0));
    expect(startedReads).toEqual([1]);
    const second = reads.run('a', read(2));
    const third = reads.run('a', read(3));
    hold.open();
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 2]);
    expect(startedReads).toEqual([1, 2]);
  });

  it('keeps different keys apart', async () => {
    const reads = new SharedReads();
    let runs = 0;
    const read = async () => ++runs;
    const [a, b] = await Promise.all([reads.run('a', read), reads.run('b', read)]);
    expect(runs).toBe(2);
    expect(new Set([a, b])).toEqual(new Set([1, 2]));
  });

  it('reports a failure to every caller that joined, and the next caller starts afresh', async () => {
    const reads = new SharedReads();
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new AppError('not_found', 'No such mailbox');
    };
    const outcomes = await Promise.allSettled([reads.run('a', failing), reads.run('a', failing), reads.run('a', failing)]);
    expect(runs).toBe(1);
    for (const o of outcomes) expect(o).toMatchObject({ status: 'rejected', reason: { code: 'not_found' } });
    expect(await reads.run('a', async () => 'ok')).toBe('ok');
  });

  it('a read that throws before calling started() still frees its key', async () => {
    const reads = new SharedReads();
    await expect(reads.run('a', () => { throw new AppError('upstream_unavailable', 'x'); })).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(reads.size).toBe(0);
  });
});
