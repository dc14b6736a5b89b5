// What the token layer needs from lib/crypto: seal and open, bound to where a value lives.
export interface SecretBox {
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

/** Associated data binding each stored secret to its row and field (a moved ciphertext fails). */
export const aad = {
  refreshToken: (credentialId: string) => `MailCredential:${credentialId}:refreshToken`,
  accessToken: (credentialId: string, resource: string) => `AccessToken:${credentialId}:${resource}`,
  cache: (key: string) => `cache:${key}`,
};
