// The one dispatch point: URL → handler. Plain node:http, no framework.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { EmulatorContext } from './context';
import { aadError } from './errors';
import { handleGraph } from './graph/routes';
import { escapeHtml, redirect, sendHtml, sendJson } from './http';
import { handleAuthorize } from './identity/authorize';
import { handleIntrospect, handleSmtpIntrospect } from './identity/introspect';
import { jwks, openIdConfiguration } from './identity/metadata';
import { resolveTenant } from './identity/tenants';
import { handleToken } from './identity/token';

const ROUTES = {
  metadata: /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/,
  keys: /^\/([^/]+)\/discovery\/v2\.0\/keys$/,
  authorize: /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/,
  token: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
  logout: /^\/([^/]+)\/oauth2\/v2\.0\/logout$/,
};

export function createEmulatorServer(ctx: EmulatorContext): Server {
  return createServer((req, res) => {
    route(ctx, req, res).catch((error: unknown) => {
      // Never echo the request: it may carry codes and tokens.
      process.stderr.write(`microsoft emulator: internal error on ${req.method} ${(req.url ?? '').split('?')[0]}: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: 'emulator internal error' });
      else res.destroy();
    });
  });
}

async function route(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', ctx.baseUrl());
  const path = url.pathname;
  let m: RegExpExecArray | null;

  if (path === '/introspect') return handleIntrospect(ctx, req, res, url);
  if (path === '/introspect/smtp') return handleSmtpIntrospect(ctx, req, res, url);
  if (path.startsWith('/v1.0/') || path === '/v1.0' || path.startsWith('/download/') || path === '/oidc/userinfo') return handleGraph(ctx, req, res, url);
  if ((m = ROUTES.token.exec(path))) return handleToken(ctx, req, res, decodeURIComponent(m[1]!));
  if ((m = ROUTES.authorize.exec(path))) return handleAuthorize(ctx, req, res, url, decodeURIComponent(m[1]!));
  if ((m = ROUTES.metadata.exec(path)) || (m = ROUTES.keys.exec(path))) {
    const segment = decodeURIComponent(m[1]!);
    const tenant = resolveTenant(segment, ctx.state.knownTenants());
    if (!tenant) {
      const { status, body } = aadError({ codes: [90002], baseUrl: ctx.baseUrl(), context: { tenant: segment } });
      return sendJson(res, status, body);
    }
    const body = ROUTES.keys.test(path) ? jwks(ctx.baseUrl(), ctx.keys) : openIdConfiguration(ctx.baseUrl(), tenant);
    return sendJson(res, 200, body, { 'cache-control': 'max-age=86400, private', 'access-control-allow-origin': '*' });
  }
  if ((m = ROUTES.logout.exec(path))) {
    const target = url.searchParams.get('post_logout_redirect_uri');
    if (target) return redirect(res, target);
    return sendHtml(res, 200, '<!doctype html><html><body><p>You signed out of your account.</p></body></html>');
  }
  if (path === '/error') {
    return sendHtml(res, 200, `<!doctype html><html><body><h1>Error ${escapeHtml(url.searchParams.get('code') ?? '')}</h1></body></html>`);
  }
  sendJson(res, 404, { error: 'not_found', error_description: 'The emulator has no such endpoint.' });
}
