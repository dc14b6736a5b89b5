import { z } from 'zod';
import { readJson } from '@/lib/http/body';
import { idParams } from '@/lib/http/params';
import { RATE_LIMITS } from '@/lib/http/rate-limit';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { sendMessage } from '@/lib/mail';

export const dynamic = 'force-dynamic';

/** Text and HTML bodies up to their own limits (sendMessageInput), with room for JSON escaping. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

// sendMessage validates the body itself (400 before the mailbox is looked up).
export const POST = route({ params: idParams, rateLimit: RATE_LIMITS.mailSend }, async ({ userId, params, request }) => {
  const result = await sendMessage({ userId, accountId: params.id, input: await readJson(request, z.unknown(), MAX_BODY_BYTES) });
  return json(result, { status: 202 });
});
