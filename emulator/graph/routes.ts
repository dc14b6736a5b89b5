// Graph surface: /v1.0/me and /oidc/userinfo here; every other /v1.0/ and /download/ request is
// offered to the drive emulator with the caller resolved from the bearer token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import { graphError } from '../errors';
import { sendJson } from '../http';
import { pairwiseSubject } from '../identity/id-token';
import { authenticateGraph, sendGraphUnauthorized } from './auth';

export async function handleGraph(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.stats.graph += 1;
  await ctx.sleeper.sleep(ctx.state.config.latencyMs);
  const path = url.pathname.replace(/\/+$/, '');
  const auth = authenticateGraph(ctx, req);

  if (path === '/v1.0/me' || path === '/oidc/userinfo') {
    if (!auth.ok) return sendGraphUnauthorized(res, req, auth.message);
    const { user } = auth;
    const [given = user.name, ...rest] = user.name.split(' ');
    if (path === '/oidc/userinfo') {
      return sendJson(res, 200, { sub: pairwiseSubject(user.oid, auth.clientId), name: user.name, family_name: rest.join(' '), given_name: given, email: user.email });
    }
    return sendJson(res, 200, {
      '@odata.context': `${ctx.baseUrl()}/v1.0/$metadata#users/$entity`,
      businessPhones: [],
      displayName: user.name,
      givenName: given,
      surname: rest.join(' ') || null,
      jobTitle: null,
      mail: user.email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      userPrincipalName: user.email,
      id: user.oid,
    });
  }

  const handled = await ctx.drive.handle(req, res, url, auth.ok ? auth.caller : null);
  // The path is not echoed: download URLs carry secrets, and callers may log Graph's messages.
  if (!handled) sendJson(res, 404, graphError('itemNotFound', 'The resource could not be found.'));
}
