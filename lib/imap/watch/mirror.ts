// Pure: the UIDs of a mailbox in sequence order, as one IMAP session sees it. Sequence numbers
// shift with every expunge, UIDs never do; keeping the list in step with the session's EXISTS and
// EXPUNGE responses is what lets sequence-numbered updates be reported by UID.
export class UidMirror {
  private uids: number[] = [];

  /** The whole list, from `UID SEARCH ALL` (any order; duplicates dropped). */
  reset(uids: Iterable<number>): void {
    this.uids = [...new Set(uids)].sort((a, b) => a - b);
  }

  /** How many messages the mirror knows by UID (the first `known` sequence numbers). */
  get known(): number {
    return this.uids.length;
  }

  /** The highest known UID, 0 when none. */
  get maxUid(): number {
    return this.uids[this.uids.length - 1] ?? 0;
  }

  has(uid: number): boolean {
    return this.indexOf(uid) >= 0;
  }

  uidAt(seq: number): number | undefined {
    return Number.isInteger(seq) && seq >= 1 ? this.uids[seq - 1] : undefined;
  }

  /** EXPUNGE n: the n-th message is gone; its UID, or undefined when it is beyond what is known. */
  expungeSeq(seq: number): number | undefined {
    const uid = this.uidAt(seq);
    if (uid !== undefined) this.uids.splice(seq - 1, 1);
    return uid;
  }

  removeUid(uid: number): boolean {
    const i = this.indexOf(uid);
    if (i < 0) return false;
    this.uids.splice(i, 1);
    return true;
  }

  /** New mail: UIDs above the highest known one are appended (new messages always come last); the ones appended. */
  append(uids: Iterable<number>): number[] {
    const max = this.maxUid;
    const fresh = [...new Set(uids)].filter((u) => u > max).sort((a, b) => a - b);
    this.uids.push(...fresh);
    return fresh;
  }

  snapshot(): readonly number[] {
    return [...this.uids];
  }

  private indexOf(uid: number): number {
    // Sorted: binary search (mailboxes can hold tens of thousands of messages).
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** Reconnect delays: exponential from 1 s to 60 s, with jitter so watchers dropped together do not return together. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(60_000, 1_000 * 2 ** Math.max(0, attempt));
  return Math.round(cap / 2 + random() * (cap / 2));
}
