// The RS256 key that signs id tokens, published as a JWKS. Generated once per process (RSA key
// generation is the slowest step of starting an emulator); emulators in one process still never
// accept each other's id tokens, because each has its own issuer (its own port).
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface SigningKeys {
  kid: string;
  publicJwk: JWK;
  sign(claims: JWTPayload): Promise<string>;
}

let shared: Promise<SigningKeys> | undefined;

export function createSigningKeys(): Promise<SigningKeys> {
  shared ??= generateSigningKeys();
  return shared;
}

async function generateSigningKeys(): Promise<SigningKeys> {
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
