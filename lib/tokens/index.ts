// The token layer's public surface. `ensureFreshToken` and `storeMicrosoftGrant` use the
// process-wide services; `createTokenService` is for tests and tools that bring their own.
export type { TokenResource, FreshToken, EnsureFreshTokenOptions } from './types';
export { createTokenService, RefreshFailedError, ShuttingDownError, type PauseScope, type TokenService, type TokenServiceDeps } from './ensure-fresh-token';
export { storeGrant, type StoreGrantInput } from './store-grant';
export { accessTokenCacheKey, TOKEN_RESOURCES } from './cache-keys';
export type { SecretBox } from '../crypto';
export { getTokenService, storeMicrosoftGrant, ensureFreshToken, existingTokenService } from './runtime';
export { forgetCachedAccessTokens, TOKEN_INVALIDATION_CHANNEL } from './access-token-cache';
export { L1TokenCache, L1_DEFAULTS, type L1Options } from './l1-cache';
