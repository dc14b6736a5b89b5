// Pure parts of live updates: the seq→UID mirror, the mapping of imapflow's unsolicited
// responses to changes, the registry key and the reconnect delays.
import { describe, expect, it } from 'vitest';
import { expungeChange, flagsChange } from '@/lib/imap/watch/events';
import { reconnectDelayMs, UidMirror } from '@/lib/imap/watch/mirror';
import { watchKey } from '@/lib/imap/watch/registry';

const mirrorOf = (...uids: number[]) => {
  const m = new UidMirror();
  m.reset(uids);
  return m;
};

describe('UidMirror', () => {
  it('keeps UIDs in sequence order and shifts sequence numbers on expunge', () => {
    const m = mirrorOf(30, 10, 20, 20);
    expect(m.snapshot()).toEqual([10, 20, 30]);
    expect(m.uidAt(2)).toBe(20);
    expect(m.expungeSeq(2)).toBe(20);
    // What was message 3 is message 2 now.
    expect(m.uidAt(2)).toBe(30);
    expect(m.expungeSeq(5)).toBeUndefined();
    expect(m.uidAt(0)).toBeUndefined();
    expect(m.known).toBe(2);
  });

  it('appends only UIDs above the highest known one', () => {
    const m = mirrorOf(1, 5);
    expect(m.append([7, 3, 5, 6, 7])).toEqual([6, 7]);
    expect(m.snapshot()).toEqual([1, 5, 6, 7]);
    expect(m.maxUid).toBe(7);
    expect(new UidMirror().maxUid).toBe(0);
  });

  it('finds and removes by UID', () => {
    const m = mirrorOf(...Array.from({ length: 1000 }, (_, i) => i * 2 + 1));
    expect(m.has(999)).toBe(true);
    expect(m.has(1000)).toBe(false);
    expect(m.removeUid(999)).toBe(true);
    expect(m.removeUid(999)).toBe(false);
    expect(m.known).toBe(999);
  });
});

describe('changes from unsolicited responses', () => {
  it('EXPUNGE by sequence number becomes the UID, and keeps later numbers aligned', () => {
    const m = mirrorOf(4, 8, 15, 16);
    expect(expungeChange(m, { seq: 2, vanished: false })).toEqual({ type: 'expunge', uid: 8 });
    expect(expungeChange(m, { seq: 2, vanished: false })).toEqual({ type: 'expunge', uid: 15 });
    expect(m.snapshot()).toEqual([4, 16]);
    // A message the mirror has not learnt yet (new mail being fetched): nothing to report.
    expect(expungeChange(m, { seq: 3, vanished: false })).toBeNull();
  });

  it('VANISHED carries UIDs; unknown ones and EARLIER ones the mirror lacks report nothing', () => {
    const m = mirrorOf(4, 8);
    expect(expungeChange(m, { uid: 8, vanished: true })).toEqual({ type: 'expunge', uid: 8 });
    expect(expungeChange(m, { uid: 99, vanished: true, earlier: true })).toBeNull();
    expect(expungeChange(m, { vanished: true })).toBeNull();
  });

  it('FETCH FLAGS by sequence number or UID, shown as the API shows flags', () => {
    const m = mirrorOf(4, 8);
    expect(flagsChange(m, { seq: 2, flags: new Set(['\\Seen', '\\Recent', '\\Flagged']) })).toEqual({ type: 'flags', uid: 8, flags: ['\\Flagged', '\\Seen'] });
    expect(flagsChange(m, { seq: 9, uid: 4, flags: new Set() })).toEqual({ type: 'flags', uid: 4, flags: [] });
    expect(flagsChange(m, { seq: 3, flags: new Set(['\\Seen']) })).toBeNull();
    expect(flagsChange(m, { seq: 1 })).toBeNull();
  });
});

describe('registry key and reconnect delays', () => {
  it('INBOX is case-insensitive, other folders are not', () => {
    expect(watchKey('c1', 'inbox')).toBe(watchKey('c1', 'INBOX'));
    expect(watchKey('c1', 'Projects')).not.toBe(watchKey('c1', 'projects'));
    expect(watchKey('c1', 'INBOX')).not.toBe(watchKey('c2', 'INBOX'));
  });

  it('grow from about a second to at most a minute, jittered', () => {
    expect(reconnectDelayMs(0, () => 0)).toBe(500);
    expect(reconnectDelayMs(0, () => 1)).toBe(1000);
    expect(reconnectDelayMs(3, () => 1)).toBe(8000);
    expect(reconnectDelayMs(20, () => 1)).toBe(60_000);
    expect(reconnectDelayMs(20, () => 0)).toBe(30_000);
  });
});
