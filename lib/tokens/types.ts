// Public types of the token layer.

/** Resources one Microsoft refresh token can mint access tokens for (SPEC §2). */
export type TokenResource = 'imap' | 'graph';

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
}
