// The mail domain: one verb per file, each taking one options object with the caller's userId
// (ownership is part of every query). `ctx` defaults to the process-wide context.
export { listAccounts } from './list-accounts';
export { addPasswordAccount, passwordAccountSchema, type PasswordAccountInput } from './add-password-account';
export { disconnectAccount } from './disconnect-account';
export { listMailboxes } from './list-mailboxes';
export { listMessages } from './list-messages';
export { getMessage } from './get-message';
export { updateMessageFlags, moveMessage, deleteMessage, messageFlagsInput, moveMessageInput, type MessageFlagsInput, type MoveMessageInput } from './message-actions';
export { openAttachment } from './open-attachment';
export { sendMessage, composeDefaults, sendMessageInput, type SendMessageInput, type SendResult } from './send-message';
export { watchMailbox, liveEventMessage, type MailboxWatch } from './watch-mailbox';
export type { AccountSummary } from './accounts';
export type { MailContext } from './context';
export { getMailContext } from './runtime';
export { connectMicrosoftMailbox, type MicrosoftGrantInput } from './connect-microsoft-mailbox';
