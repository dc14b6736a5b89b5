import type { TokenResource } from '../tokens/types';

export const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
export const GRAPH_FILES_SCOPE = 'https://graph.microsoft.com/Files.Read.All';
/** Sending over SMTP AUTH (XOAUTH2): same audience as IMAP, its own permission and consent. */
export const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';

const RESOURCE_SCOPES: Record<TokenResource, string> = { imap: IMAP_SCOPE, graph: GRAPH_FILES_SCOPE, smtp: SMTP_SCOPE };

/** What signing in (and connecting another mailbox) asks for (SPEC §2). */
export const SIGN_IN_SCOPES = ['openid', 'profile', 'email', 'offline_access', IMAP_SCOPE] as const;

/**
 * The v2 endpoint mints an access token for one resource per request, so a refresh names the
 * resource's scope; `offline_access` makes Microsoft return the rotated refresh token.
 */
export function refreshScopesFor(resource: TokenResource): string[] {
  return [RESOURCE_SCOPES[resource], 'offline_access'];
}
