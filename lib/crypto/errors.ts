// Errors of the crypto layer. Their messages name variables, files and key ids (fingerprints),
// never a key, a plaintext or a ciphertext.
import { BrandedError } from '../errors';

/** The encryption keys are missing or malformed: the process cannot start safely. */
export class CryptoConfigError extends BrandedError {
  static override readonly brand: string = 'mailbridge.CryptoConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'CryptoConfigError';
  }
}

export type SecretDecryptReason =
  /** Not in the sealed format at all (truncated, not base64url, wrong IV or tag size). */
  | 'malformed'
  /** A format version this code does not know. */
  | 'unsupported_version'
  /** Sealed under a key that is neither current nor listed in TOKEN_ENCRYPTION_KEYS_OLD. */
  | 'unknown_key'
  /** Wrong associated data (moved to another row or field), altered bytes, or a wrong key. */
  | 'authentication_failed';

const MESSAGES: Record<SecretDecryptReason, string> = {
  malformed: 'the stored value is not a sealed secret',
  unsupported_version: 'the stored value uses an unsupported format version',
  unknown_key: 'it was sealed with a key that is not configured',
  authentication_failed: 'authentication failed (altered, or bound to another row or field)',
};

export class SecretDecryptError extends BrandedError {
  static override readonly brand: string = 'mailbridge.SecretDecryptError';
  readonly reason: SecretDecryptReason;
  /** Fingerprint of the key the value names, when it could be read. */
  readonly keyId: string | undefined;

  constructor(reason: SecretDecryptReason, keyId?: string) {
    super(`Secret could not be decrypted: ${MESSAGES[reason]}${keyId === undefined ? '' : ` (key id ${keyId})`}`);
    this.name = 'SecretDecryptError';
    this.reason = reason;
    this.keyId = keyId;
  }
}
