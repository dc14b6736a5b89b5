// POST /introspect for Dovecot's passdb oauth2 (introspection_mode = post sends `token=…` as a
// form). Only a live token for the IMAP audience is active. A bearer header (Dovecot's `auth`
// mode) or a `token` query parameter are read too, which costs nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import { bearerToken, readForm, sendJson } from '../http';

export async function handleIntrospect(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.stats.introspect += 1;
  const form = req.method === 'POST' ? await readForm(req) : new URLSearchParams();
  const token = form.get('token') ?? bearerToken(req) ?? url.searchParams.get('token') ?? '';
  const valid = token ? ctx.state.validAccessToken(token, 'imap') : null;
  sendJson(res, 200, valid ? { active: true, username: valid.user.email } : { active: false });
}
