// POST /introspect for Dovecot's passdb oauth2 (introspection_mode = post sends `token=…` as a
// form). Only a live token for the IMAP audience is active. Also answers the `auth` mode (bearer
// header) and the `get` mode (token in the query), which cost nothing to support.
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
