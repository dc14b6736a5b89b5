// The one wrapper every route handler goes through: cross-site refusal for state-changing
// requests, session (unless the route is public), Next 16's async params validated with zod, the
// route's per-user rate limit if it has one, the handler, and every error mapped to SPEC §4's
// JSON shape by errorResponse (no stack traces, no tokens). Route files stay thin.
import type { z } from 'zod';
import { requireUserId } from '../auth/session';
import { publicBaseUrl } from '../env';
import { invalidRequest } from '../errors';
import { childLogger } from '../log';
import { enforceRateLimit, type RateLimitRule } from './rate-limit';
import { errorResponse } from './respond';
import { isCrossSiteRequest, originOf } from './same-origin';

const log = childLogger('http');

type RawParams = Record<string, string | string[] | undefined>;

/** What Next.js passes a route handler as its second argument. */
export interface NextRouteContext {
  params: Promise<RawParams>;
}

export interface PublicRouteContext<P> {
  request: Request;
  url: URL;
  params: P;
}

export interface RouteContext<P> extends PublicRouteContext<P> {
  userId: string;
}

type Handler<C> = (ctx: C) => Promise<Response> | Response;
type RouteHandler = (request: Request, context: NextRouteContext) => Promise<Response>;

interface Options<S extends z.ZodType | undefined> {
  /** Validates the dynamic segments; a mismatch is a 400 (or pass a schema that 404s). */
  params?: S;
}

interface SignedInOptions<S extends z.ZodType | undefined> extends Options<S> {
  /** A per-user abuse limit (lib/http/rate-limit.ts), counted once the caller is known. */
  rateLimit?: RateLimitRule;
}

type ParamsOf<S> = S extends z.ZodType ? z.infer<S> : RawParams;

/** A route for signed-in users: `userId` is the caller's; without a session → 401. */
export function route<S extends z.ZodType | undefined = undefined>(options: SignedInOptions<S>, handler: Handler<RouteContext<ParamsOf<S>>>): RouteHandler {
  const { rateLimit } = options;
  return wrap(options, requireUserId, async (base, userId) => {
    if (rateLimit) await enforceRateLimit({ rule: rateLimit, userId });
    return handler({ ...base, userId });
  });
}

/** A route anyone may call (health, cron with its own bearer check). */
export function publicRoute<S extends z.ZodType | undefined = undefined>(
  options: Options<S>,
  handler: Handler<PublicRouteContext<ParamsOf<S>>>,
): RouteHandler {
  return wrap(options, async () => undefined, (base) => handler(base));
}

function wrap<S extends z.ZodType | undefined, U>(
  options: Options<S>,
  authenticate: () => Promise<U>,
  handler: (base: PublicRouteContext<ParamsOf<S>>, user: U) => Promise<Response> | Response,
): RouteHandler {
  return async (request, context) => {
    const started = performance.now();
    const url = new URL(request.url);
    let response: Response;
    try {
      // Before anything else, the session lookup included (a database session is touched when
      // read): a cross-site request changes nothing.
      if (isCrossSiteRequest(request, originOf(publicBaseUrl()))) {
        log.info({ method: request.method, path: url.pathname }, 'cross-site request refused');
        throw invalidRequest('Cross-site request refused');
      }
      // Then the session: without one, every route answers 401 whatever else is wrong.
      const user = await authenticate();
      const raw = (await context?.params) ?? {};
      const params = (options.params ? options.params.parse(raw) : raw) as ParamsOf<S>;
      response = await handler({ request, url, params }, user);
      // Next.js answers HEAD with the GET handler and never reads (or cancels) the body: cancel
      // it here, so a streamed body lets go of what it holds (a download's IMAP session).
      if (request.method === 'HEAD' && response.body) {
        await response.body.cancel().catch(() => undefined);
        response = new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
      }
    } catch (error) {
      // Only the path: query strings can carry authorization codes and state.
      response = errorResponse(error, { method: request.method, path: url.pathname });
    }
    log.debug({ method: request.method, path: url.pathname, status: response.status, ms: Math.round(performance.now() - started) }, 'request');
    return response;
  };
}
