// One watched mailbox: its own IMAP session (never a pooled one: IDLE holds the connection),
// opened with a fresh token, EXAMINEd read-only and left idling. imapflow IDLEs whenever the
// session is free and reports what the server pushes (EXISTS, EXPUNGE, FETCH FLAGS); new mail is
// fetched (UID SEARCH above the last known UID, then its summaries) on the same session. When the
// server ends the session (Outlook's BYE AccessTokenExpired, a restart, the network), it opens a
// new one with backoff and a fresh token and tells listeners to reload (`reset`); a credential
// that needs re-authorization, or a mailbox that is gone, ends the watcher with an `error`.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { AppError } from '../../errors';
import { logoutQuietly } from '../client';
import { errorLabel, isServerRefusal, toAppError } from '../errors';
import { SUMMARY_QUERY, toSummary } from '../list-messages';
import { expungeChange, flagsChange, type ExpungePayload, type FlagsPayload, type ReadyInfo, type WatchEvent } from './events';
import { reconnectDelayMs, UidMirror } from './mirror';

export interface MailboxWatcherOptions {
  credentialId: string;
  mailbox: string;
  /** Opens a new session that IDLEs when free (its own connection, a fresh token). Throws AppError. */
  open: () => Promise<ImapFlow>;
  log: Logger;
  /** Every event, in order; `error` is the last one. */
  emit: (event: WatchEvent) => void;
  /** The watcher has ended for good (failed or stopped). */
  onGone: () => void;
  reconnectDelayMs?: (attempt: number) => number;
}

/** Terminal for a watcher: only the owner (or a new mailbox name) can fix these. */
const TERMINAL = new Set(['needs_reauth', 'not_found']);

export class MailboxWatcher {
  readonly ready: Promise<ReadyInfo>;
  private resolveReady!: (info: ReadyInfo) => void;
  private rejectReady!: (error: AppError) => void;
  private info: ReadyInfo | undefined;
  private client: ImapFlow | undefined;
  private stopped = false;
  private readonly mirror = new UidMirror();
  /** The mirror matches the current session (after its first sync). */
  private synced = false;
  private work: Promise<void> = Promise.resolve();
  private refillQueued = false;
  private wake: (() => void) | undefined;
  private sessions = 0;

  constructor(private readonly options: MailboxWatcherOptions) {
    this.ready = new Promise<ReadyInfo>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Callers that never await it must not see an unhandled rejection.
    this.ready.catch(() => undefined);
    void this.run();
  }

  /** Set once the first session has synced. */
  get readyInfo(): ReadyInfo | undefined {
    return this.info;
  }

  /** Sessions opened so far (1 unless the server ended some). */
  get sessionsOpened(): number {
    return this.sessions;
  }

  /** Logs the session out and ends the watcher; no more events. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    this.rejectReady(new AppError('upstream_unavailable', 'Live updates stopped'));
    const client = this.client;
    this.client = undefined;
    if (client) await logoutQuietly(client);
    this.options.onGone();
  }

  /** Drops the session and opens a new one (a new password, a disconnect): the reconnect decides. */
  restart(): void {
    const client = this.client;
    if (client) void logoutQuietly(client);
  }

  private get log() {
    return this.options.log;
  }

  private emit(event: WatchEvent): void {
    if (!this.stopped) this.options.emit(event);
  }

  private async run(): Promise<void> {
    const { credentialId } = this.options;
    let attempt = 0;
    while (!this.stopped) {
      let client: ImapFlow | undefined;
      try {
        client = await this.options.open();
        if (this.stopped) {
          await logoutQuietly(client);
          return;
        }
        this.sessions += 1;
        const opened = client;
        const closed = new Promise<void>((resolve) => opened.once('close', () => resolve()));
        this.client = client;
        this.synced = false;
        this.listen(client);
        await this.sync(client);
        attempt = 0;
        this.log.info({ credentialId, sessions: this.sessions }, 'IMAP IDLE session watching the mailbox');
        await closed;
        if (this.client === client) this.client = undefined;
        this.synced = false;
        if (this.stopped) return;
        this.log.info({ credentialId, bye: byeCode(client.byeReason) }, 'IMAP IDLE session ended; reconnecting');
      } catch (error) {
        if (client) client.close();
        if (this.client === client) this.client = undefined;
        this.synced = false;
        if (this.stopped) return;
        const appError = toWatchError(error);
        // The first session decides whether the mailbox can be watched at all (the route answers
        // with its error); later only a credential or mailbox that is gone ends the watcher.
        if (this.info === undefined || TERMINAL.has(appError.code)) {
          this.fail(appError);
          return;
        }
        this.log.warn({ credentialId, err: errorLabel(error), code: appError.code, attempt }, 'IMAP IDLE session could not be reopened; retrying');
      }
      await this.sleep((this.options.reconnectDelayMs ?? reconnectDelayMs)(attempt));
      attempt += 1;
    }
  }

  private fail(error: AppError): void {
    this.stopped = true;
    this.log.info({ credentialId: this.options.credentialId, code: error.code }, 'mailbox watcher ended');
    this.rejectReady(error);
    this.options.emit({ type: 'error', code: error.code, message: error.message });
    this.options.onGone();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private listen(client: ImapFlow): void {
    const current = () => client === this.client && this.synced && !this.stopped;
    client.on('exists', () => {
      if (current()) this.queueRefill(client);
    });
    // Applied at once, in the order the server sent them: sequence numbers depend on it.
    client.on('expunge', (payload: ExpungePayload) => {
      if (!current()) return;
      const change = expungeChange(this.mirror, payload);
      if (change) this.emit(change);
    });
    client.on('flags', (payload: FlagsPayload) => {
      if (!current()) return;
      const change = flagsChange(this.mirror, payload);
      if (change) this.emit(change);
    });
  }

  /** EXAMINE, then every UID: the mirror of this session. */
  private async sync(client: ImapFlow): Promise<void> {
    let box;
    try {
      box = await client.mailboxOpen(this.options.mailbox, { readOnly: true });
    } catch (error) {
      if (isServerRefusal(error)) throw new AppError('not_found', 'No such mailbox');
      throw error;
    }
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    this.mirror.reset(uids);
    this.synced = true;
    const first = this.info === undefined;
    this.info = { mailbox: box.path, uidValidity: box.uidValidity.toString(), count: box.exists };
    if (first) {
      this.resolveReady(this.info);
      this.emit({ type: 'ready', ...this.info });
    } else {
      // What changed while there was no session is not known message by message.
      this.emit({ type: 'reset', reason: 'reconnected' });
    }
    if (client.mailbox && this.mirror.known !== client.mailbox.exists) this.queueRefill(client);
  }

  private queueRefill(client: ImapFlow): void {
    if (this.refillQueued) return;
    this.refillQueued = true;
    this.work = this.work
      .then(() => {
        this.refillQueued = false;
        return this.refill(client);
      })
      .catch((error: unknown) => {
        this.refillQueued = false;
        // The session is probably gone; its 'close' starts the reconnect.
        this.log.info({ credentialId: this.options.credentialId, err: errorLabel(error) }, 'fetching new mail for live updates failed');
      });
  }

  /** New mail: the UIDs above the last known one, and their summaries. */
  private async refill(client: ImapFlow): Promise<void> {
    if (client !== this.client || !client.usable || this.stopped) return;
    const max = this.mirror.maxUid;
    // `n:*` always includes the highest UID, even below n (RFC 3501 §6.4.8): filter.
    const found = ((await client.search({ uid: `${max + 1}:*` }, { uid: true })) || []).filter((uid) => uid > max);
    let messages: ReturnType<typeof toSummary>[] = [];
    if (found.length > 0) {
      const rows = await client.fetchAll(found.join(','), SUMMARY_QUERY, { uid: true });
      if (client !== this.client || this.stopped) return;
      const appended = new Set(this.mirror.append(rows.map((r) => r.uid)));
      messages = rows.filter((r) => appended.has(r.uid)).map(toSummary).sort((a, b) => b.uid - a.uid);
    }
    const count = client.mailbox ? client.mailbox.exists : this.mirror.known;
    if (this.mirror.known !== count) {
      // Out of step (mail expunged while it was being fetched): start from the server's list.
      this.mirror.reset((await client.search({ all: true }, { uid: true })) || []);
      this.emit({ type: 'reset', reason: 'resynced' });
      return;
    }
    if (messages.length > 0) this.emit({ type: 'exists', count, messages });
  }
}

function toWatchError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isServerRefusal(error)) return new AppError('not_found', 'No such mailbox');
  return toAppError(error);
}


function byeCode(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  return /AccessTokenExpired/i.test(reason) ? 'AccessTokenExpired' : 'other';
}
