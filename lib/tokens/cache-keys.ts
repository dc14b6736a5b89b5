import type { TokenResource } from './types';

export const TOKEN_RESOURCES: readonly TokenResource[] = ['imap', 'graph', 'smtp'];

export function accessTokenCacheKey(credentialId: string, resource: TokenResource): string {
  return `at:${credentialId}:${resource}`;
}
