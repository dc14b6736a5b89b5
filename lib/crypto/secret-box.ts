// seal/open with the keyring bound in, for code that should not handle keys at all.
import type { Keyring } from './keyring';
import { isSealedWithCurrentKey, open, seal } from './seal';

export interface SecretBox {
  seal(plaintext: string, aad: string): string;
  /** Throws SecretDecryptError when the value cannot be opened. */
  open(sealed: string, aad: string): string;
  /** False for values under an older key (rotation will re-seal them). */
  isCurrent(sealed: string): boolean;
}

export function createSecretBox(keyring: Keyring): SecretBox {
  return {
    seal: (plaintext, aad) => seal(keyring, plaintext, aad),
    open: (sealed, aad) => open(keyring, sealed, aad),
    isCurrent: (sealed) => isSealedWithCurrentKey(keyring, sealed),
  };
}
