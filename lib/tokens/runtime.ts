// Wires the token layer to this process's database, cache, keyring and identity client.
import { getCache } from '../cache';
import { getDb } from '../db';
import { getEnv } from '../env';
import { AppError } from '../errors';
import { childLogger } from '../log';
import { appIdentityClient } from '../microsoft/app-client';
import type { IdentityClient } from '../microsoft/identity-client';
import { getSecretBox } from '../crypto';
import { createTokenService, type TokenService } from './ensure-fresh-token';
import { storeGrant, type StoreGrantInput } from './store-grant';
import { getOutbox } from '../webhooks/runtime';
import type { EnsureFreshTokenOptions, FreshToken, TokenResource } from './types';

const log = childLogger('tokens');
const globalForTokens = globalThis as typeof globalThis & { __mailbridgeTokens?: Promise<TokenService> };

export function getIdentityClient(): IdentityClient {
  // The same client (and remembered credential) as sign-in and connecting a mailbox.
  const identity = appIdentityClient(getEnv());
  if (!identity) throw new AppError('upstream_unavailable', 'Microsoft sign-in is not configured on this server');
  return identity;
}

export function getTokenService(): Promise<TokenService> {
  globalForTokens.__mailbridgeTokens ??= (async () =>
    createTokenService({
      db: await getDb(),
      cache: getCache(),
      secrets: getSecretBox(),
      identity: getIdentityClient(),
      logger: log,
      skewSeconds: getEnv().TOKEN_REFRESH_SKEW_SECONDS,
      ...optionalOutbox(),
    }))().catch((error: unknown) => {
    globalForTokens.__mailbridgeTokens = undefined;
    throw error;
  });
  return globalForTokens.__mailbridgeTokens;
}

/** The process's token service if one was created (shutdown must not create one). */
export async function existingTokenService(): Promise<TokenService | undefined> {
  const pending = globalForTokens.__mailbridgeTokens;
  return pending ? pending.catch(() => undefined) : undefined;
}

export async function ensureFreshToken(
  credentialId: string,
  resource: TokenResource,
  options?: EnsureFreshTokenOptions,
): Promise<FreshToken> {
  return (await getTokenService()).ensureFreshToken(credentialId, resource, options);
}

export async function storeMicrosoftGrant(
  input: Omit<StoreGrantInput, 'db' | 'cache' | 'secrets' | 'logger' | 'skewSeconds' | 'outbox'>,
): Promise<string> {
  return storeGrant({
    ...input,
    db: await getDb(),
    cache: getCache(),
    secrets: getSecretBox(),
    logger: log,
    skewSeconds: getEnv().TOKEN_REFRESH_SKEW_SECONDS,
    ...optionalOutbox(),
  });
}

function optionalOutbox(): { outbox?: NonNullable<ReturnType<typeof getOutbox>> } {
  const outbox = getOutbox();
  return outbox ? { outbox } : {};
}
