// The RS256 key that signs id tokens, published as a JWKS. One key per emulator instance, so
// tokens from another emulator (or a previous run) never verify.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface SigningKeys {
  kid: string;
  publicJwk: JWK;
  sign(claims: JWTPayload): Promise<string>;
}

export async function createSigningKeys(): Promise<SigningKeys> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    // Microsoft's keys carry x5t equal to kid; no x5c here (there is no certificate to publish).
    publicJwk: { kty: jwk.kty, use: 'sig', kid, x5t: kid, n: jwk.n, e: jwk.e },
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid }).sign(privateKey),
  };
}
