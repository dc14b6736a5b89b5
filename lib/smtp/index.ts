// SMTP for mailboxes: building messages (MailComposer), submitting them (XOAUTH2 for Microsoft
// mailboxes, with one refresh-and-retry on 535; their own login for password mailboxes), and
// what an SMTP failure means.
export { composeMessage, replyRecipients, replySubject, forwardSubject, replyReferences, quoteForReply, quoteForForward, MAX_MESSAGE_BYTES, type Address, type ComposeInput, type ComposedMessage, type OriginalMessage } from './compose';
export { classifySmtpError, enhancedStatus, smtpAuthDisabled, SMTP_AUTH_DISABLED_MESSAGE, type SmtpFailure, type SmtpFailureKind } from './errors';
export { sendReconnectUrl, withSendConsent } from './consent';
export { submitMessage, verifySmtpLogin, type SmtpAccount, type SubmitDeps, type OutgoingMessage, type SubmitResult, type PasswordSmtpServer } from './submit';
export { createSmtpService, createSmtpAccountLoader, type SmtpService, type LoadSmtpAccount } from './service';
export { createSmtpTransport, type SmtpEndpoint, type SmtpAuth, type SmtpTimeouts, type SmtpTlsOptions } from './transport';
export { getSmtpService } from './runtime';
