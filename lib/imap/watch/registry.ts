// One watcher (one IDLE session) per mailbox and folder in this process, however many pages
// listen: listeners are counted, and when the last one leaves the session is logged out after a
// short grace (a page reload, a quick back-and-forth, keeps the session). Shutdown ends every
// subscription with `end` and logs the sessions out.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { AppError } from '../../errors';
import type { ReadyInfo, WatchEvent } from './events';
import { MailboxWatcher } from './watcher';

export type WatchListener = (event: WatchEvent) => void;

export interface WatchSubscription {
  /** Resolves once the mailbox is being watched; rejects (AppError) when it cannot be. */
  ready: Promise<ReadyInfo>;
  /** Leaves; the last listener to leave closes the session after the grace period. */
  close(): void;
}

export interface WatchStats {
  /** Mailbox folders watched right now (one IDLE session each). */
  watchers: number;
  /** Listeners across all of them. */
  listeners: number;
  /** Watchers started since the registry was created. */
  started: number;
}

export interface WatchRegistryOptions {
  /** Opens a new IDLE session for the credential (its own connection, a fresh token). */
  open: (credentialId: string) => Promise<ImapFlow>;
  log: Logger;
  /** How long a watcher with no listeners keeps its session (default 5 s). */
  graceMs?: number;
  /**
   * Folders of one mailbox watched at once (default 4): each holds an IMAP connection, and
   * servers cap connections per mailbox (the request pool needs its own too).
   */
  maxPerCredential?: number;
  reconnectDelayMs?: (attempt: number) => number;
}

interface Entry {
  key: string;
  credentialId: string;
  watcher: MailboxWatcher;
  listeners: Set<WatchListener>;
  grace: NodeJS.Timeout | undefined;
}

/** Pure: the registry key. INBOX is case-insensitive (RFC 3501), other names are not. */
export function watchKey(credentialId: string, mailbox: string): string {
  return `${credentialId}\n${mailbox.toUpperCase() === 'INBOX' ? 'INBOX' : mailbox}`;
}

export class WatchRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly graceMs: number;
  private readonly maxPerCredential: number;
  private started = 0;
  private shutDown = false;

  constructor(private readonly options: WatchRegistryOptions) {
    this.graceMs = options.graceMs ?? 5_000;
    this.maxPerCredential = Math.max(1, options.maxPerCredential ?? 4);
  }

  subscribe(credentialId: string, mailbox: string, listener: WatchListener): WatchSubscription {
    if (this.shutDown) throw new AppError('upstream_unavailable', 'The server is shutting down');
    const key = watchKey(credentialId, mailbox);
    let entry = this.entries.get(key);
    if (!entry) {
      // A folder nobody listens to any more (in its grace period) makes room first.
      if (this.watchedFolders(credentialId) >= this.maxPerCredential) this.evictUnlistened(credentialId);
      if (this.watchedFolders(credentialId) >= this.maxPerCredential) {
        throw new AppError('upstream_unavailable', 'Too many folders of this mailbox are watched at once; the page checks for new mail by itself', { retryAfter: 30 });
      }
      entry = this.start(key, credentialId, mailbox);
    }
    clearTimeout(entry.grace);
    entry.grace = undefined;
    entry.listeners.add(listener);
    // A late joiner learns at once that the mailbox is watched; early ones get it from the watcher.
    const info = entry.watcher.readyInfo;
    if (info) listener({ type: 'ready', ...info });
    let left = false;
    return {
      ready: entry.watcher.ready,
      close: () => {
        if (left) return;
        left = true;
        this.leave(entry, listener);
      },
    };
  }

  /** Every watcher of the credential opens a new session (new password, disconnect). */
  restartFor(credentialId: string): void {
    for (const entry of this.entries.values()) if (entry.credentialId === credentialId) entry.watcher.restart();
  }

  /** Ends every subscription (`end`) and logs every session out. */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const entry of all) {
      clearTimeout(entry.grace);
      this.broadcast(entry, { type: 'end', reason: 'shutdown' });
      entry.listeners.clear();
    }
    await Promise.all(all.map((e) => e.watcher.stop()));
  }

  stats(): WatchStats {
    let listeners = 0;
    for (const e of this.entries.values()) listeners += e.listeners.size;
    return { watchers: this.entries.size, listeners, started: this.started };
  }

  private evictUnlistened(credentialId: string): void {
    const idle = [...this.entries.values()].find((e) => e.credentialId === credentialId && e.listeners.size === 0);
    if (!idle) return;
    clearTimeout(idle.grace);
    this.entries.delete(idle.key);
    void idle.watcher.stop();
  }

  private watchedFolders(credentialId: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.credentialId === credentialId) n += 1;
    return n;
  }

  private start(key: string, credentialId: string, mailbox: string): Entry {
    this.started += 1;
    // The entry exists before the watcher can emit anything.
    const entry = { key, credentialId, listeners: new Set<WatchListener>(), grace: undefined } as unknown as Entry;
    entry.watcher = new MailboxWatcher({
      credentialId,
      mailbox,
      open: () => this.options.open(credentialId),
      log: this.options.log,
      emit: (event) => this.broadcast(entry, event),
      onGone: () => {
        clearTimeout(entry.grace);
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
      ...(this.options.reconnectDelayMs ? { reconnectDelayMs: this.options.reconnectDelayMs } : {}),
    });
    this.entries.set(key, entry);
    return entry;
  }

  private leave(entry: Entry, listener: WatchListener): void {
    entry.listeners.delete(listener);
    if (entry.listeners.size > 0 || this.entries.get(entry.key) !== entry) return;
    clearTimeout(entry.grace);
    entry.grace = setTimeout(() => {
      if (entry.listeners.size > 0) return;
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      void entry.watcher.stop();
    }, this.graceMs);
    entry.grace.unref();
  }

  private broadcast(entry: Entry, event: WatchEvent): void {
    for (const listener of [...entry.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.options.log.warn({ err: error instanceof Error ? error.name : typeof error, event: event.type }, 'live update listener failed');
      }
    }
  }
}
