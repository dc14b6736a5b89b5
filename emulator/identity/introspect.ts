// Token introspection for the test mail servers, in the shape Dovecot's passdb oauth2 reads
// (introspection_mode = post sends `token=…` as a form). A bearer header (Dovecot's `auth` mode)
// or a `token` query parameter are read too, which costs nothing.
//   POST /introspect       IMAP: a live token for the Outlook audience (outlook.office.com).
//   POST /introspect/smtp  SMTP AUTH: a live token for the same audience that carries
//                          `SMTP.Send` in its scp, as Exchange Online checks before accepting
//                          XOAUTH2 on smtp.office365.com (an IMAP-only token is refused).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import { bearerToken, readForm, sendJson } from '../http';
import { permissionKey } from './scopes';

export const SMTP_SEND_PERMISSION = 'SMTP.Send';

async function readToken(req: IncomingMessage, url: URL): Promise<string> {
  const form = req.method === 'POST' ? await readForm(req) : new URLSearchParams();
  return form.get('token') ?? bearerToken(req) ?? url.searchParams.get('token') ?? '';
}

export async function handleIntrospect(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.stats.introspect += 1;
  const token = await readToken(req, url);
  const valid = token ? ctx.state.validAccessToken(token, 'imap') : null;
  sendJson(res, 200, valid ? { active: true, username: valid.user.email } : { active: false });
}

export async function handleSmtpIntrospect(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.stats.introspect += 1;
  const token = await readToken(req, url);
  const valid = token ? ctx.state.validAccessToken(token, 'imap') : null;
  const canSend = valid?.record.scopes.some((s) => permissionKey(s) === permissionKey(SMTP_SEND_PERMISSION)) ?? false;
  sendJson(res, 200, valid && canSend ? { active: true, username: valid.user.email, scope: valid.record.scopes.join(' ') } : { active: false });
}
