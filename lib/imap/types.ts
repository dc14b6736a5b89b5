// Public shapes of the IMAP layer. Everything is plain JSON-ready data (dates as ISO strings),
// so route handlers return them as they are (SPEC §4).
import type { EnsureFreshTokenOptions, FreshToken, TokenResource } from '../tokens/types';

/**
 * An address as `{ name, address }`: `name` is '' when the header has none. Objects rather than
 * formatted strings so a UI never has to parse "Name <addr>" back, and cannot mix them up.
 */
export interface MailAddress {
  name: string;
  address: string;
}

export interface MailboxInfo {
  path: string;
  name: string;
  /** IMAP special-use flag as the server reports it (`\\Inbox`, `\\Sent`, `\\Trash`…), or null. */
  specialUse: string | null;
  messages: number;
  unseen: number;
}

export interface MessageSummary {
  uid: number;
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  /** ISO 8601; the Date header, else the server's arrival time. */
  date: string | null;
  flags: string[];
  size: number;
}

export interface MoveResult {
  /** The message's UID in the target folder, when the server reports it (COPYUID); else null. */
  uid: number | null;
}

export interface MessagePage {
  messages: MessageSummary[];
  /** Opaque; pass back as `cursor` for older messages. null on the last page. */
  nextCursor: string | null;
}

export interface AttachmentInfo {
  /** The IMAP body part number ("2", "1.2"): the `{attachmentId}` of the download route. */
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
}

export interface MessageDetail {
  uid: number;
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  date: string | null;
  /** As in the listing (`\\Seen`, `\\Flagged`…); reading the message does not change them. */
  flags: string[];
  text: string | null;
  /** Sanitized: no scripts, handlers or javascript: URLs; remote images not loaded. */
  html: string | null;
  attachments: AttachmentInfo[];
}

export interface ListMessagesInput {
  mailbox: string;
  limit: number;
  cursor?: string | undefined;
}

export interface GetMessageInput {
  mailbox: string;
  uid: number;
}

/** The token layer's entry point, injected so IMAP can be tested with any token source. */
export type EnsureFreshToken = (
  credentialId: string,
  resource: TokenResource,
  options?: EnsureFreshTokenOptions,
) => Promise<FreshToken>;

/** Where and how to log in to a password mailbox. */
export interface PasswordServer {
  host: string;
  port: number;
  secure: boolean;
  username: string;
  password: string;
}

/** What the session manager needs to know about a credential to open a session for it. */
export type ImapAccount =
  | { kind: 'oauth2'; credentialId: string; email: string }
  | { kind: 'password'; credentialId: string; email: string; server: () => PasswordServer };

export type LoadImapAccount = (credentialId: string) => Promise<ImapAccount | null>;
