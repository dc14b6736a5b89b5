import { z } from 'zod';
import { readJson } from '@/lib/http/body';
import { RATE_LIMITS } from '@/lib/http/rate-limit';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { addPasswordAccount, listAccounts } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const GET = route({}, async ({ userId }) => json(await listAccounts({ userId })));

// addPasswordAccount validates the body (and checks the login) itself.
export const POST = route({ rateLimit: RATE_LIMITS.passwordLogin }, async ({ userId, request }) =>
  json(await addPasswordAccount({ userId, input: await readJson(request, z.unknown()) }), { status: 201 }),
);
