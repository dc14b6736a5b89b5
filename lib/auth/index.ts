// Sign-in (next-auth with Microsoft) and connecting further Microsoft mailboxes.
export { getAuthOptions } from './options';
export { currentUserId, requireUserId } from './session';
export { microsoftSettings } from './microsoft';
export * from './connect';
