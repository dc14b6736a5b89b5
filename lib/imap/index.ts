// IMAP for mailboxes: pooled sessions (XOAUTH2 or password), folders, message pages, one
// parsed and sanitized message, and validation of the parameters routes pass in.
export type {
  MailAddress,
  MailboxInfo,
  MessageSummary,
  MessagePage,
  MessageDetail,
  MoveResult,
  AttachmentInfo,
  EnsureFreshToken,
  PasswordServer,
  ImapAccount,
  LoadImapAccount,
} from './types';
export { createImapService, type ImapService, type ImapServiceDeps, type AttachmentLimits } from './service';
export { MAX_ATTACHMENT_BYTES, type AttachmentDownload } from './download-attachment';
export { createAccountLoader, createPasswordRejectionRecorder } from './account-loader';
export { getImapService, shutdownImap, closeMailWatchers } from './runtime';
export {
  parseListMessagesParams,
  parseGetMessageParams,
  parseGetAttachmentParams,
  attachmentIdSchema,
  mailboxSchema,
  limitSchema,
  uidSchema,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  type ListMessagesParams,
  type GetMessageParams,
  type RawListMessagesParams,
  type RawGetMessageParams,
  type GetAttachmentParams,
  type RawGetAttachmentParams,
} from './params';
export { sanitizeMessageHtml } from './sanitize';
export type { Endpoint, ClientTimeouts } from './client';
export type { PoolStats } from './session-pool';
export type { MailboxChange, ReadyInfo, WatchEvent } from './watch/events';
export type { WatchListener, WatchStats, WatchSubscription } from './watch/registry';
