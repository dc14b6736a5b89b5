// Associated data binds each sealed secret to where it lives: a ciphertext copied into another
// row, another field or another cache key fails to open. Writers and readers (the token layer,
// password storage, the rotation job) must build it with these helpers.

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** `<table>:<id>:<field>`, e.g. `MailCredential:ck…:refreshToken`. */
export function secretAad({ table, id, field }: { table: string; id: string; field: string }): string {
  // Table and field are code constants; refusing odd ones keeps the three parts unambiguous.
  if (!NAME.test(table) || !NAME.test(field)) throw new TypeError('secretAad: table and field must be plain names');
  if (id.length === 0) throw new TypeError('secretAad: id must not be empty');
  return `${table}:${id}:${field}`;
}

/** MailCredential.refreshTokenSealed */
export const refreshTokenAad = (credentialId: string) =>
  secretAad({ table: 'MailCredential', id: credentialId, field: 'refreshToken' });

/** MailCredential.passwordSealed */
export const passwordAad = (credentialId: string) =>
  secretAad({ table: 'MailCredential', id: credentialId, field: 'password' });

/** MailCredential.smtpPasswordSealed (a password mailbox's SMTP submission password) */
export const smtpPasswordAad = (credentialId: string) =>
  secretAad({ table: 'MailCredential', id: credentialId, field: 'smtpPassword' });

/** AccessToken.tokenSealed: the row is (credentialId, resource), so the resource names it. */
export const accessTokenAad = (credentialId: string, resource: string) =>
  secretAad({ table: 'AccessToken', id: credentialId, field: resource });

/** A value sealed into the cache under `key` (the key as callers name it, before any prefix). */
export const cacheAad = (key: string) => `cache:${key}`;
