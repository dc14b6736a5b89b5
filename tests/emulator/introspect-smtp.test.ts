// SMTP AUTH's token check: a token for the Outlook audience is accepted for sending only when it
// carries SMTP.Send, which the user consents to on its own (incremental consent); a refresh asking
// for SMTP.Send before that consent is consent_required (AADSTS65001), as at Microsoft.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { IMAP_SCOPE, introspect, tokenRequest } from './helpers';

const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';
const EMAIL = 'grace@contoso.com';
let em: MicrosoftEmulator;
beforeAll(async () => {
  em = await startMicrosoftEmulator();
  em.addUser({ email: EMAIL });
});
afterAll(() => em.close());

const smtp = (token: string) => introspect(em, token, em.smtpIntrospectionUrl);

it('accepts only live Outlook tokens that carry SMTP.Send', async () => {
  const imapOnly = em.issueAccessToken({ email: EMAIL, resource: 'imap', scopes: ['IMAP.AccessAsUser.All'] });
  const sending = em.issueAccessToken({ email: EMAIL, resource: 'imap', scopes: ['IMAP.AccessAsUser.All', 'SMTP.Send'] });
  const graph = em.issueAccessToken({ email: EMAIL, resource: 'graph' });
  expect(await smtp(imapOnly)).toEqual({ active: false });
  expect(await smtp(graph)).toEqual({ active: false });
  expect(await smtp('nope')).toEqual({ active: false });
  expect(await smtp(sending)).toMatchObject({ active: true, username: EMAIL });
  // IMAP's own check is unchanged.
  expect(await introspect(em, sending)).toEqual({ active: true, username: EMAIL });
  em.expireAccessTokens(EMAIL);
  expect(await smtp(sending)).toEqual({ active: false });
});

it('mints an SMTP.Send token from the mail refresh token only after that consent', async () => {
  const mailOnly = em.issueRefreshToken({ email: EMAIL, scopes: [IMAP_SCOPE, 'offline_access'] });
  const refused = await tokenRequest(em, { grant_type: 'refresh_token', refresh_token: mailOnly, scope: `${SMTP_SCOPE} offline_access` });
  expect(refused.status).toBe(400);
  expect(refused.body).toMatchObject({ error: 'invalid_grant', suberror: 'consent_required', error_codes: [65001] });

  // Consenting later (a new sign-in asking for SMTP.Send) lets the older refresh token mint it.
  em.issueRefreshToken({ email: EMAIL, scopes: [IMAP_SCOPE, SMTP_SCOPE, 'offline_access'] });
  const minted = await tokenRequest(em, { grant_type: 'refresh_token', refresh_token: mailOnly, scope: `${SMTP_SCOPE} offline_access` });
  expect(minted.status).toBe(200);
  expect(String(minted.body.scope)).toContain(SMTP_SCOPE);
  expect(await smtp(String(minted.body.access_token))).toMatchObject({ active: true, username: EMAIL });
});
