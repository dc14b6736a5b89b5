// The IMAP layer's working surface: a session pool plus the read operations, for any credential
// id. Everything it needs from elsewhere (credential rows, tokens, passwords) is injected.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { ClientTimeouts, Endpoint } from './client';
import { downloadAttachment, type AttachmentDownload } from './download-attachment';
import { errorLabel, isImapError, toAppError } from './errors';
import { getMessage } from './get-message';
import { listMailboxes } from './list-mailboxes';
import { listMessages } from './list-messages';
import { deleteMessage, moveMessage, setMessageFlags, type FlagChange } from './message-actions';
import { openSession, verifyPasswordLogin } from './login';
import { RefreshCooldown } from './refresh-cooldown';
import type { GetAttachmentParams, GetMessageParams, ListMessagesParams } from './params';
import { SessionPool, type PoolStats } from './session-pool';
import { ATTR, telemetry } from '../telemetry';
import { WatchRegistry, type WatchListener, type WatchStats, type WatchSubscription } from './watch/registry';
import { SharedReads } from './shared-reads';
import type { EnsureFreshToken, ImapAccount, LoadImapAccount, MailboxInfo, MessageDetail, MessagePage, MoveResult, PasswordServer } from './types';

export interface ImapServiceDeps {
  loadAccount: LoadImapAccount;
  ensureFreshToken: EnsureFreshToken;
  /** Where Microsoft mailboxes live (IMAP_HOST / IMAP_PORT / IMAP_SECURE). */
  oauthEndpoint: Endpoint;
  log: Logger;
  onPasswordRejected?: (credentialId: string) => Promise<void>;
  /** Let password mailboxes name loopback/private hosts (IMAP_ALLOW_PRIVATE_HOSTS). */
  allowPrivateHosts?: boolean;
  idleMs?: number;
  maxSessionsPerMailbox?: number;
  acquireTimeoutMs?: number;
  timeouts?: ClientTimeouts;
  /** For the refresh cooldown after rejected fresh tokens (default Date.now). */
  clock?: () => number;
  /** How long a watched mailbox keeps its IDLE session after its last listener leaves. */
  watchGraceMs?: number;
  /** Folders of one mailbox watched at once (default 4). */
  maxWatchedFoldersPerMailbox?: number;
  /** Delay before reopening a watcher's session that the server ended (default: 1 s to 60 s, jittered). */
  watchReconnectDelayMs?: (attempt: number) => number;
}

/**
 * Which mailbox: its credential id, or the account already loaded by the caller's ownership
 * query (then a Microsoft mailbox's session that has to be opened needs no second query).
 */
export type MailboxRef = string | ImapAccount;

const credentialOf = (ref: MailboxRef): string => (typeof ref === 'string' ? ref : ref.credentialId);

export interface ImapService {
  /**
   * Lends a logged-in session of the mailbox to `fn` (the getImapConnection of the design).
   * Don't keep the client beyond `fn`, and collect fetch results before running other commands.
   */
  withSession<T>(mailbox: MailboxRef, fn: (client: ImapFlow) => Promise<T>): Promise<T>;
  listMailboxes(mailbox: MailboxRef): Promise<MailboxInfo[]>;
  /**
   * Identical calls (same mailbox, folder, cursor, limit and search text) that arrive while one
   * is still waiting for a session share its IMAP fetch (shared-reads.ts); callers check
   * ownership before calling.
   */
  listMessages(mailbox: MailboxRef, params: ListMessagesParams): Promise<MessagePage>;
  /**
   * listMessages, started only when the mailbox has an idle pooled session (no login, no token
   * use); otherwise undefined. Lets a caller overlap the read with its ownership query and
   * discard the page if the check fails: nothing is returned before the check passes.
   */
  listMessagesIfWarm(credentialId: string, params: ListMessagesParams): Promise<MessagePage> | undefined;
  getMessage(mailbox: MailboxRef, params: GetMessageParams): Promise<MessageDetail>;
  /**
   * One attachment as a stream. The mailbox's session stays lent to the download until its body
   * ends, fails or is cancelled (a client that went away), then returns to the pool. Rejects
   * not_found / invalid_request before any byte when the part is missing or too large.
   */
  openAttachment(mailbox: MailboxRef, params: GetAttachmentParams, limits?: AttachmentLimits): Promise<AttachmentDownload>;
  /** Sets or clears \\Seen / \\Flagged; the message's flags afterwards. */
  setMessageFlags(mailbox: MailboxRef, params: GetMessageParams & { change: FlagChange }): Promise<string[]>;
  moveMessage(mailbox: MailboxRef, params: GetMessageParams & { to: string }): Promise<MoveResult>;
  /** To Trash; from Trash, expunged. */
  deleteMessage(mailbox: MailboxRef, params: GetMessageParams): Promise<{ expunged: boolean }>;
  /** Throws invalid_request when the server refuses the login, upstream_unavailable when it is unreachable. */
  verifyPasswordLogin(server: PasswordServer): Promise<void>;
  /**
   * Live updates of one folder: one IDLE session per folder however many listeners, separate
   * from the pool. `ready` rejects (not_found, needs_reauth, upstream_unavailable) when the
   * folder cannot be watched; later failures arrive as an `error` event, the last one.
   */
  watchMailbox(credentialId: string, mailbox: string, listener: WatchListener): WatchSubscription;
  /** Logs out pooled sessions; watchers of the mailbox reconnect (and end if it is gone). */
  closeSessionsFor(credentialId: string): Promise<void>;
  /** Ends every live-update subscription and logs the IDLE sessions out. */
  closeWatchers(): Promise<void>;
  shutdown(): Promise<void>;
  stats(): PoolStats;
  watchStats(): WatchStats;
}

export interface AttachmentLimits {
  maxBytes?: number;
  stallMs?: number;
  deadlineMs?: number;
  /** The request's signal: the download stops (and frees the session) when it aborts. */
  signal?: AbortSignal;
}

export function createImapService(deps: ImapServiceDeps): ImapService {
  const loginDeps = {
    ensureFreshToken: deps.ensureFreshToken,
    oauthEndpoint: deps.oauthEndpoint,
    log: deps.log,
    ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
    ...(deps.onPasswordRejected ? { onPasswordRejected: deps.onPasswordRejected } : {}),
    allowPrivateHosts: deps.allowPrivateHosts ?? false,
    refreshCooldown: new RefreshCooldown(deps.clock ? { clock: deps.clock } : {}),
  };
  const pool = new SessionPool({
    log: deps.log,
    ...(deps.idleMs !== undefined ? { idleMs: deps.idleMs } : {}),
    ...(deps.maxSessionsPerMailbox !== undefined ? { maxPerCredential: deps.maxSessionsPerMailbox } : {}),
    ...(deps.acquireTimeoutMs !== undefined ? { acquireTimeoutMs: deps.acquireTimeoutMs } : {}),
    open: async (credentialId) => {
      const account = await deps.loadAccount(credentialId);
      if (!account) throw new AppError('not_found', 'No such mailbox');
      return openSession(loginDeps, account);
    },
  });

  telemetry.watchImapPool('imap', () => pool.stats());
  const watchers = new WatchRegistry({
    log: deps.log,
    ...(deps.watchGraceMs !== undefined ? { graceMs: deps.watchGraceMs } : {}),
    ...(deps.maxWatchedFoldersPerMailbox !== undefined ? { maxPerCredential: deps.maxWatchedFoldersPerMailbox } : {}),
    ...(deps.watchReconnectDelayMs ? { reconnectDelayMs: deps.watchReconnectDelayMs } : {}),
    open: async (credentialId) => {
      const account = await deps.loadAccount(credentialId);
      if (!account) throw new AppError('not_found', 'No such mailbox');
      return openSession(loginDeps, account, { idle: true });
    },
  });

  async function withSession<T>(mailbox: MailboxRef, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    try {
      return await telemetry.traced('mailbridge.imap.session', { [ATTR.credentialId]: credentialOf(mailbox) }, () => useSession(mailbox, fn));
    } catch (error) {
      // IMAP and network failures are the server's (503); anything else is ours and stays as
      // it is, so it surfaces as a logged 500 rather than hiding behind "try again".
      throw isImapError(error) ? toAppError(error) : error;
    }
  }

  function useSession<T>(mailbox: MailboxRef, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    if (typeof mailbox === 'string') return pool.use(mailbox, fn);
    // An OAuth account as the caller loaded it is all a login needs (the token comes from the
    // token layer at login time). A password is re-read at login: a row read before the owner
    // entered a new password must not log in with, and then be marked rejected for, the old one.
    if (mailbox.kind === 'oauth2') return pool.use(mailbox.credentialId, fn, () => openSession(loginDeps, mailbox));
    return pool.use(mailbox.credentialId, fn);
  }

  const sharedLists = new SharedReads();
  const listMessagesShared = (mailbox: MailboxRef, params: ListMessagesParams): Promise<MessagePage> =>
    sharedLists.run(listMessagesKey(credentialOf(mailbox), params), (started) =>
      withSession(mailbox, (client) => {
        started();
        return listMessages(client, params);
      }),
    );

  function openAttachment(mailbox: MailboxRef, params: GetAttachmentParams, limits: AttachmentLimits = {}): Promise<AttachmentDownload> {
    const credentialId = credentialOf(mailbox);
    return new Promise((resolve, reject) => {
      let handedOut = false;
      withSession(mailbox, (client) =>
        downloadAttachment(client, {
          ...params,
          ...limits,
          onReady: (download) => {
            handedOut = true;
            resolve(download);
          },
        }),
      ).then(
        (end) => {
          if (end.outcome !== 'complete') deps.log.info({ credentialId, ...end }, 'attachment download did not complete');
        },
        (error: unknown) => {
          // Before the body was handed out this is the caller's answer (404, 400, 503…); after
          // it, the body stream has already failed with it.
          if (!handedOut) reject(error);
          else deps.log.warn({ credentialId, err: errorLabel(error) }, 'attachment download failed after it started');
        },
      );
    });
  }

  return {
    withSession,
    openAttachment,
    listMailboxes: (id) => withSession(id, (client) => listMailboxes(client)),
    listMessages: listMessagesShared,
    listMessagesIfWarm: (id, params) => (pool.hasIdleSession(id) ? listMessagesShared(id, params) : undefined),
    getMessage: (id, params) => withSession(id, (client) => getMessage(client, params)),
    setMessageFlags: (id, params) => withSession(id, (client) => setMessageFlags(client, params)),
    moveMessage: (id, params) => withSession(id, (client) => moveMessage(client, params)),
    deleteMessage: (id, params) => withSession(id, (client) => deleteMessage(client, params)),
    verifyPasswordLogin: (server) => verifyPasswordLogin(loginDeps, server),
    watchMailbox: (id, mailbox, listener) => watchers.subscribe(id, mailbox, listener),
    closeSessionsFor: async (id) => {
      watchers.restartFor(id);
      await pool.closeFor(id);
    },
    closeWatchers: () => watchers.shutdown(),
    shutdown: async () => {
      await Promise.all([watchers.shutdown(), pool.shutdown()]);
    },
    stats: () => pool.stats(),
    watchStats: () => watchers.stats(),
  };
}

/** Pure: what makes two message-list calls the same read. */
export function listMessagesKey(credentialId: string, params: ListMessagesParams): string {
  const { mailbox, limit, cursor, query } = params;
  return JSON.stringify([credentialId, mailbox, limit, cursor?.uidValidity ?? null, cursor?.beforeUid ?? null, query ?? null]);
}
