// The v2.0 id token: RS256, concrete issuer with the user's tenant, claims by requested scope.
import { createHash, randomBytes } from 'node:crypto';
import { recordSecret } from '../ledger';
import type { EmulatorUser } from '../state';
import type { SigningKeys } from './keys';
import { tokenIssuer } from './tenants';

export const ID_TOKEN_TTL_SECONDS = 3600;

export interface IdTokenInput {
  baseUrl: string;
  keys: SigningKeys;
  user: EmulatorUser;
  clientId: string;
  oidcScopes: Set<string>;
  nonce?: string;
  nowMs: number;
}

/** Microsoft's `sub` is pairwise: stable per user and app, different across apps. */
export function pairwiseSubject(oid: string, clientId: string): string {
  return createHash('sha256').update(`${oid}|${clientId}`).digest('base64url').slice(0, 43);
}

export async function signIdToken(input: IdTokenInput): Promise<string> {
  const iat = Math.floor(input.nowMs / 1000);
  const { user } = input;
  const token = await input.keys.sign({
    aud: input.clientId,
    iss: tokenIssuer(input.baseUrl, user.tid),
    iat,
    nbf: iat,
    exp: iat + ID_TOKEN_TTL_SECONDS,
    ...(input.oidcScopes.has('email') ? { email: user.email } : {}),
    ...(input.oidcScopes.has('profile') ? { name: user.name, preferred_username: user.email } : {}),
    ...(input.nonce ? { nonce: input.nonce } : {}),
    oid: user.oid,
    rh: `0.${randomBytes(24).toString('base64url')}.`,
    sub: pairwiseSubject(user.oid, input.clientId),
    tid: user.tid,
    uti: randomBytes(16).toString('base64url'),
    ver: '2.0',
  });
  recordSecret(token);
  return token;
}
