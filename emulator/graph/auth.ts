// Graph's view of a bearer token: only live Graph-audience tokens are accepted, and the 401 says
// why in Graph's words.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context';
import type { GraphCaller } from '../drive';
import { graphError } from '../errors';
import { bearerToken, sendJson } from '../http';
import type { EmulatorUser } from '../state';

export type GraphAuth = { ok: true; caller: GraphCaller; user: EmulatorUser; clientId: string } | { ok: false; message: string };

export function authenticateGraph(ctx: EmulatorContext, req: IncomingMessage): GraphAuth {
  const token = bearerToken(req);
  if (!token) return { ok: false, message: 'Access token is empty.' };
  const record = ctx.state.accessTokens.get(token);
  if (!record) return { ok: false, message: 'IDX14100: JWT is not well formed, there are no dots (.).' };
  if (record.resource !== 'graph') return { ok: false, message: 'Invalid audience.' };
  const valid = ctx.state.validAccessToken(token, 'graph');
  if (!valid) return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
  return { ok: true, user: valid.user, clientId: valid.record.clientId, caller: { email: valid.user.email, oid: valid.user.oid, scopes: [...valid.record.scopes] } };
}

export function sendGraphUnauthorized(res: ServerResponse, req: IncomingMessage, message: string): void {
  const clientRequestId = req.headers['client-request-id'];
  sendJson(res, 401, graphError('InvalidAuthenticationToken', message, typeof clientRequestId === 'string' ? clientRequestId : undefined), {
    'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
  });
}
