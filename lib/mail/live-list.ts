// Pure, and safe in the browser (types only): how a page's message list follows live updates.
// New mail goes on top (only where the list shows the newest messages), flag changes replace the
// message's flags, deleted messages leave. The list keeps its length bound and its order
// (newest first, by UID). Unchanged input comes back as the same array, so React re-renders
// nothing.
import type { MessageSummary } from '../imap/types';

export type LiveListEvent =
  | { type: 'exists'; messages: MessageSummary[] }
  | { type: 'flags'; uid: number; flags: string[] }
  | { type: 'expunge'; uid: number };

export interface LiveListOptions {
  /** The list shows the newest messages of the folder (first page, no search): new mail joins it. */
  acceptNew: boolean;
  /** At most this many messages stay listed (the page size). */
  limit: number;
}

export function applyLiveEvent(list: MessageSummary[], event: LiveListEvent, options: LiveListOptions): MessageSummary[] {
  switch (event.type) {
    case 'exists': {
      if (!options.acceptNew) return list;
      const known = new Set(list.map((m) => m.uid));
      const fresh = event.messages.filter((m) => !known.has(m.uid));
      if (fresh.length === 0) return list;
      return [...fresh, ...list].sort((a, b) => b.uid - a.uid).slice(0, Math.max(1, options.limit));
    }
    case 'flags': {
      const i = list.findIndex((m) => m.uid === event.uid);
      const current = list[i];
      if (!current || sameFlags(current.flags, event.flags)) return list;
      const next = [...list];
      next[i] = { ...current, flags: [...event.flags] };
      return next;
    }
    case 'expunge':
      return list.some((m) => m.uid === event.uid) ? list.filter((m) => m.uid !== event.uid) : list;
  }
}

function sameFlags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}
