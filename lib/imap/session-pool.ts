// Reuses IMAP sessions per mailbox. A mailbox has at most `maxPerCredential` sessions; each is
// lent to one operation at a time, goes back to the pool afterwards and is logged out after
// `idleMs` unused. A session the server ends (BYE … AccessTokenExpired, a restart, a network
// drop) leaves the pool at once, so the next use opens a new one with a fresh token.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { logoutQuietly } from './client';
import { errorLabel, isConnectionError } from './errors';

export interface SessionPoolOptions {
  /** Opens an authenticated session; throws AppError. */
  open: (credentialId: string) => Promise<ImapFlow>;
  log: Logger;
  idleMs?: number;
  maxPerCredential?: number;
  /** How long an operation waits for a busy mailbox's session before a 503. */
  acquireTimeoutMs?: number;
}

interface Session {
  client: ImapFlow;
  credentialId: string;
  generation: number;
  busy: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

interface Slot {
  sessions: Set<Session>;
  opening: number;
  /** Bumped by closeFor(): sessions of an older generation are not reused. */
  generation: number;
  waiters: Set<() => void>;
}

export interface PoolStats {
  /** Sessions opened (logins) since the pool was created. */
  opened: number;
  /** Sessions currently open, per credential. */
  open: Record<string, number>;
  /** Mailboxes the pool keeps state for: sessions open or opening, or callers waiting. */
  tracked: number;
}

export class SessionPool {
  private readonly slots = new Map<string, Slot>();
  private readonly idleMs: number;
  private readonly max: number;
  private readonly acquireTimeoutMs: number;
  private opened = 0;
  private shutDown = false;

  constructor(private readonly options: SessionPoolOptions) {
    this.idleMs = options.idleMs ?? 60_000;
    this.max = Math.max(1, options.maxPerCredential ?? 2);
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
  }

  /**
   * Runs `fn` with a session of the mailbox. If a reused session turns out to have been dropped
   * by the server, `fn` runs once more on a new one (operations passed here are reads).
   * `open`, when given, replaces the pool's opener for a session this call has to open (the
   * caller already loaded the account).
   */
  async use<T>(credentialId: string, fn: (client: ImapFlow) => Promise<T>, open?: () => Promise<ImapFlow>): Promise<T> {
    const first = await this.acquire(credentialId, { open });
    try {
      return await fn(first.session.client);
    } catch (error) {
      if (!first.reused || !isConnectionError(error) || first.session.client.usable) throw error;
      this.options.log.info({ credentialId, err: errorLabel(error) }, 'pooled IMAP session was gone; reopening');
    } finally {
      this.release(first.session);
    }
    const second = await this.acquire(credentialId, { fresh: true, open });
    try {
      return await fn(second.session.client);
    } finally {
      this.release(second.session);
    }
  }

  /** Whether the mailbox has a pooled session free right now (using it needs no login). */
  hasIdleSession(credentialId: string): boolean {
    const slot = this.slots.get(credentialId);
    if (!slot || this.shutDown) return false;
    for (const s of slot.sessions) if (!s.busy && s.generation === slot.generation && s.client.usable) return true;
    return false;
  }

  /** Logs out every session of the mailbox (disconnect); sessions in use close when released. */
  async closeFor(credentialId: string): Promise<void> {
    const slot = this.slots.get(credentialId);
    if (!slot) return;
    slot.generation += 1;
    const idle = [...slot.sessions].filter((s) => !s.busy);
    await Promise.all(idle.map((s) => this.discard(s)));
  }

  async shutdown(): Promise<void> {
    this.shutDown = true;
    const all = [...this.slots.values()].flatMap((slot) => {
      slot.generation += 1;
      for (const wake of slot.waiters) wake();
      return [...slot.sessions].filter((s) => !s.busy);
    });
    await Promise.all(all.map((s) => this.discard(s)));
  }

  stats(): PoolStats {
    const open: Record<string, number> = {};
    for (const [id, slot] of this.slots) if (slot.sessions.size > 0) open[id] = slot.sessions.size;
    return { opened: this.opened, open, tracked: this.slots.size };
  }

  private slot(credentialId: string): Slot {
    let slot = this.slots.get(credentialId);
    if (!slot) {
      slot = { sessions: new Set(), opening: 0, generation: 0, waiters: new Set() };
      this.slots.set(credentialId, slot);
    }
    return slot;
  }

  private async acquire(credentialId: string, opts: { fresh?: boolean; open?: (() => Promise<ImapFlow>) | undefined } = {}): Promise<{ session: Session; reused: boolean }> {
    const deadline = Date.now() + this.acquireTimeoutMs;
    for (;;) {
      if (this.shutDown) throw new AppError('upstream_unavailable', 'The server is shutting down');
      const slot = this.slot(credentialId);
      if (!opts.fresh) {
        const idle = [...slot.sessions].find((s) => !s.busy && s.generation === slot.generation && s.client.usable);
        if (idle) {
          idle.busy = true;
          clearTimeout(idle.idleTimer);
          idle.idleTimer = undefined;
          return { session: idle, reused: true };
        }
      }
      if (slot.sessions.size + slot.opening < this.max) return { session: await this.openInto(slot, credentialId, opts.open), reused: false };
      // Full: make room by dropping an idle session we may not use (stale, or `fresh` asked).
      const spare = [...slot.sessions].find((s) => !s.busy);
      if (spare) {
        await this.discard(spare);
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new AppError('upstream_unavailable', 'The mailbox is busy; try again shortly', { retryAfter: 2 });
      }
      await this.waitForChange(slot, remaining);
    }
  }

  private async openInto(slot: Slot, credentialId: string, open = () => this.options.open(credentialId)): Promise<Session> {
    // Taken before the login: if closeFor() runs meanwhile (disconnect, new password), this
    // session serves the call that opened it and is then closed, never pooled.
    const generation = slot.generation;
    slot.opening += 1;
    let client: ImapFlow | undefined;
    try {
      client = await open();
    } finally {
      slot.opening -= 1;
      this.wake(slot);
      // A mailbox that fails to open (gone, rejected, unreachable) leaves nothing behind.
      if (client === undefined) this.dropIfUnused(credentialId, slot);
    }
    this.opened += 1;
    const session: Session = { client, credentialId, generation, busy: true, idleTimer: undefined };
    slot.sessions.add(session);
    client.once('close', () => {
      if (!client.closedByClient) {
        this.options.log.info({ credentialId, bye: byeCode(client.byeReason) }, 'IMAP server ended the session');
      }
      this.forget(session);
    });
    return session;
  }

  private release(session: Session): void {
    const slot = this.slots.get(session.credentialId);
    if (!slot || !slot.sessions.has(session)) return;
    session.busy = false;
    if (this.shutDown || session.generation !== slot.generation || !session.client.usable) {
      void this.discard(session);
      return;
    }
    session.idleTimer = setTimeout(() => void this.discard(session), this.idleMs);
    session.idleTimer.unref();
    this.wake(slot);
  }

  private async discard(session: Session): Promise<void> {
    this.forget(session);
    await logoutQuietly(session.client);
  }

  private forget(session: Session): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    const slot = this.slots.get(session.credentialId);
    if (!slot || !slot.sessions.delete(session)) return;
    this.wake(slot);
    this.dropIfUnused(session.credentialId, slot);
  }

  /** Slots live only while something uses them, so the map is bounded by mailboxes in use. */
  private dropIfUnused(credentialId: string, slot: Slot): void {
    if (slot.sessions.size > 0 || slot.opening > 0 || slot.waiters.size > 0) return;
    if (this.slots.get(credentialId) === slot) this.slots.delete(credentialId);
  }

  private wake(slot: Slot): void {
    const [first] = slot.waiters;
    if (first) first();
  }

  private waitForChange(slot: Slot, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        slot.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      slot.waiters.add(done);
    });
  }
}

/** The bracketed code of a BYE (e.g. Outlook's "AccessTokenExpired"), never free text. */
function byeCode(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  return /AccessTokenExpired/i.test(reason) ? 'AccessTokenExpired' : 'other';
}
