import { z } from 'zod';
import { startMailConnect } from '@/lib/auth';
import { objectId } from '@/lib/http/params';
import { parseQuery } from '@/lib/http/query';
import { RATE_LIMITS } from '@/lib/http/rate-limit';
import { sameSitePath } from '@/lib/http/return-to';
import { redirectToUrl } from '@/lib/http/redirect';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

const query = z.object({
  /** `files=1`: also consent to OneDrive (Graph Files.Read.All). */
  files: z.enum(['1', 'true']).optional(),
  /** `send=1`: also consent to sending mail (SMTP.Send). */
  send: z.enum(['1', 'true']).optional(),
  /** Reconnect this mailbox (login hint = its address). */
  account: objectId.optional(),
  /** Where to come back to once connected: a path on this site (default: the inbox). */
  returnTo: sameSitePath.optional(),
});

export const GET = route({ rateLimit: RATE_LIMITS.mailConnect }, async ({ userId, url }) => {
  const q = parseQuery(url, query);
  const { location, setCookie } = await startMailConnect({
    userId,
    files: q.files !== undefined,
    send: q.send !== undefined,
    ...(q.account ? { accountId: q.account } : {}),
    ...(q.returnTo ? { returnTo: q.returnTo } : {}),
  });
  return redirectToUrl(location, { setCookie: [setCookie] });
});
