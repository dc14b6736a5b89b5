// Sign-in (next-auth with Microsoft) and connecting further Microsoft mailboxes.
export { getAuthOptions } from './options';
export { currentUser, currentUserId, requireUserId, type CurrentUser } from './session';
export { microsoftSettings } from './microsoft';
export * from './connect';
