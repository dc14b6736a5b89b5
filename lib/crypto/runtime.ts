// This process's keyring, loaded once from the environment.
import { getEnv } from '../env';
import { childLogger } from '../log';
import type { Keyring } from './keyring';
import { loadKeyring } from './load-keyring';
import { createSecretBox, type SecretBox } from './secret-box';

let keyring: Keyring | undefined;
let box: SecretBox | undefined;

export function getKeyring(): Keyring {
  keyring ??= loadKeyring(getEnv(), { logger: childLogger('crypto') });
  return keyring;
}

export function getSecretBox(): SecretBox {
  box ??= createSecretBox(getKeyring());
  return box;
}
