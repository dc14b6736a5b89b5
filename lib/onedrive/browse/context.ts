// What the folder picker's verbs work with. Routes use the process-wide one; tests pass their own
// database, Graph URL, cache and token source.
import type { Cache } from '../../cache/types';
import type { PrismaClient } from '../../db';
import { AppError, notFound } from '../../errors';
import { connectedWhere } from '../../mail/accounts';
import { DeadlineReachedError, GraphError } from '../errors';
import { GraphClient } from '../graph-client';
import { needsOneDriveConsent, withGraphConsent } from '../reconnect';

export interface BrowseContext {
  db: PrismaClient;
  /** MICROSOFT_GRAPH_URL: the only origin the bearer token is ever sent to. */
  graphUrl: string;
  cache: Cache;
  /** A Graph access token for the credential (the token layer's ensureFreshToken(id, 'graph')). */
  mintGraphToken: (credentialId: string, options?: { rejectedToken?: string }) => Promise<string>;
  fetch?: typeof fetch;
}

export interface BrowseInput {
  userId: string;
  accountId: string;
  /** Where a reconnect for consent comes back to (a same-site path). */
  returnTo?: string | undefined;
  ctx?: BrowseContext;
}

/** An interactive listing waits this long at most for Graph (throttling included). */
const INTERACTIVE_BUDGET_MS = 20_000;

export async function resolveBrowseContext(ctx: BrowseContext | undefined): Promise<BrowseContext> {
  if (ctx) return ctx;
  // Imported lazily so tests that bring a context never load the process-wide wiring.
  const [{ getDb }, { getCache }, { getEnv }, { ensureFreshToken }] = await Promise.all([
    import('../../db'),
    import('../../cache'),
    import('../../env'),
    import('../../tokens/runtime'),
  ]);
  return {
    db: await getDb(),
    graphUrl: getEnv().MICROSOFT_GRAPH_URL,
    cache: getCache(),
    mintGraphToken: async (credentialId, options) => (await ensureFreshToken(credentialId, 'graph', options)).accessToken,
  };
}

/**
 * The caller's own connected Microsoft account (ownership is part of the query: another user's
 * is not found) and a Graph client that asks the token layer for its tokens, turning a missing
 * consent into 409 with reconnectUrl.
 */
export async function openBrowser(ctx: BrowseContext, input: BrowseInput): Promise<GraphClient> {
  const { userId, accountId } = input;
  if (typeof accountId !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(accountId)) throw notFound('No such Microsoft account');
  const account = await ctx.db.mailCredential.findFirst({
    where: { id: accountId, userId, authType: 'oauth2', ...connectedWhere },
    select: { id: true, status: true },
  });
  if (!account) throw notFound('No such Microsoft account');
  if (account.status === 'needs_reauth') {
    throw needsOneDriveConsent(account.id, input.returnTo, 'This Microsoft account must be reconnected before its OneDrive can be read.');
  }
  return new GraphClient({
    baseUrl: ctx.graphUrl,
    cache: ctx.cache,
    // The same window the account's syncs honour: Graph throttles per user and app.
    throttleKey: `onedrive:throttle:${account.id}`,
    getToken: (options) => withGraphConsent({ accountId: account.id, returnTo: input.returnTo, mint: () => ctx.mintGraphToken(account.id, options) }),
    deadline: Date.now() + INTERACTIVE_BUDGET_MS,
    maxAttempts: 3,
    timeoutMs: 15_000,
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
  });
}

/** Graph's refusals in SPEC §4's words; errors that are already AppErrors pass through. */
export function browseFailure(error: unknown): unknown {
  if (error instanceof DeadlineReachedError) return new AppError('upstream_unavailable', 'OneDrive is busy right now; try again shortly', { retryAfter: 5 });
  if (!(error instanceof GraphError)) return error;
  if (error.transient || error.status === 401) {
    const seconds = error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000);
    return new AppError('upstream_unavailable', 'OneDrive is not answering right now; try again shortly', seconds === undefined ? {} : { retryAfter: seconds });
  }
  // Graph says 403 for a drive the account cannot read: to the caller it simply is not there.
  if (error.status === 404 || error.status === 403 || error.status === 410) return notFound('No such drive or folder for this account');
  if (error.status === 400) return new AppError('invalid_request', 'OneDrive refused this drive or folder id');
  return error;
}
