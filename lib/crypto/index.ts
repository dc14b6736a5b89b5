// Secrets at rest (SPEC §5.5): sealing, opening, keys and their rotation.
export { seal, open, isSealedWithCurrentKey, sealedKeyId } from './seal';
export { secretAad, refreshTokenAad, passwordAad, smtpPasswordAad, accessTokenAad, cacheAad } from './aad';
export { SecretDecryptError, CryptoConfigError, type SecretDecryptReason } from './errors';
export { keyIdOf, keyringFromKeys, parseKey, type Keyring } from './keyring';
export { loadKeyring, DEV_KEY_FILE, type KeyringEnv } from './load-keyring';
export { createSecretBox, type SecretBox } from './secret-box';
export { getKeyring, getSecretBox } from './runtime';
export {
  resealAll,
  SECRET_COLUMNS,
  type ResealOptions,
  type ResealSummary,
  type ResealCounts,
  type ResealDb,
  type ResealLogger,
  type SecretColumn,
} from './reseal-all';
