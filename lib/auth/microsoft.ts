// Microsoft sign-in settings, derived only from configuration (SPEC §2). Shared by the next-auth
// provider and the "connect another mailbox" flow, so both redeem codes the same way.
import { getEnv, publicBaseUrl, type Env } from '../env';
import { AppError } from '../errors';
import { microsoftEndpoints, type IdentityClient, type MicrosoftEndpoints } from '../microsoft';
import { appIdentityClient } from '../microsoft/app-client';

export interface MicrosoftSettings {
  clientId: string;
  /** The process's identity client: every code redemption authenticates the app through it. */
  identity: IdentityClient;
  authorityHost: string;
  tenant: string;
  endpoints: MicrosoftEndpoints;
}

/** null when the app registration is not configured (sign-in is then unavailable). */
export function microsoftSettings(env: Env = getEnv()): MicrosoftSettings | null {
  const identity = appIdentityClient(env);
  if (!env.MICROSOFT_CLIENT_ID || !identity) return null;
  const authorityHost = env.MICROSOFT_AUTHORITY_HOST.replace(/\/+$/, '');
  return {
    clientId: env.MICROSOFT_CLIENT_ID,
    identity,
    authorityHost,
    tenant: env.MICROSOFT_TENANT,
    endpoints: microsoftEndpoints({ authorityHost, tenant: env.MICROSOFT_TENANT }),
  };
}

export function requireMicrosoftSettings(env: Env = getEnv()): MicrosoftSettings {
  const settings = microsoftSettings(env);
  if (!settings) throw new AppError('upstream_unavailable', 'Microsoft sign-in is not configured on this server');
  return settings;
}

export function identityClientFor(settings: MicrosoftSettings): IdentityClient {
  return settings.identity;
}

/** next-auth's own callback (registered in Entra ID next to the mailbox callback). */
export function signInRedirectUri(env: Env = getEnv()): string {
  return `${publicBaseUrl(env)}/api/auth/callback/microsoft`;
}

export function connectRedirectUri(env: Env = getEnv()): string {
  return `${publicBaseUrl(env)}/api/mail/callback`;
}
