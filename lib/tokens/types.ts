// Public types of the token layer.

/** Resources one Microsoft refresh token can mint access tokens for (SPEC §2). */
export type TokenResource = 'imap' | 'graph' | 'smtp';

export interface FreshToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface EnsureFreshTokenOptions {
  /**
   * The access token a server just rejected (e.g. an XOAUTH2 login refused). If it is still the
   * cached one, it is discarded and a refresh happens (once, single-flighted); if a newer token
   * already replaced it, that newer token is returned without another refresh.
   */
  rejectedToken?: string;
  /** Refresh unless the token stays valid this long (the cron route warms tokens ahead of use). */
  minValiditySeconds?: number;
  /**
   * Refresh unless the credential was refreshed at or after this time (epoch ms): exercises the
   * refresh token of an idle credential before Microsoft's inactivity expiry. Idempotent when
   * several runs race: whoever comes second finds a newer refresh and stops.
   */
  refreshedSince?: number;
  /**
   * Throw when the refresh asked for fails, instead of serving an older token that is still
   * usable. Interactive callers want that token; the cron must count what actually happened.
   */
  strict?: boolean;
  /**
   * A background job (cron warm-up, OneDrive sync) rather than a person: not counted as use of
   * the mailbox, so the cron keeps warming only mailboxes people actually open.
   */
  background?: boolean;
  /**
   * The caller has just read in the database that this credential is due (the cron's claim):
   * skip the cache and the first read and go straight for the refresh lease, whose statement
   * returns the state. Same answers and guarantees as without it, fewer round trips.
   */
  due?: boolean;
}
