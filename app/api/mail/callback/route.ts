import { z } from 'zod';
import { clearConnectCookie, CONNECT_COOKIE, finishMailConnect } from '@/lib/auth';
import { readCookie } from '@/lib/http/cookies';
import { parseQuery } from '@/lib/http/query';
import { redirectTo } from '@/lib/http/redirect';
import { sameSitePathOr } from '@/lib/http/return-to';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

const query = z.object({
  code: z.string().max(8192).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
});

export const GET = route({}, async ({ userId, url, request }) => {
  const outcome = await finishMailConnect({ userId, params: parseQuery(url, query), cookie: readCookie(request, CONNECT_COOKIE) });
  const setCookie = [clearConnectCookie()];
  return outcome.kind === 'connected'
    ? redirectTo(sameSitePathOr(outcome.returnTo, `/inbox?account=${encodeURIComponent(outcome.credentialId)}`), { setCookie })
    : redirectTo('/accounts?connect=declined', { setCookie });
});
