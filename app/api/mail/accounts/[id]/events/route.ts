import { idParams } from '@/lib/http/params';
import { route } from '@/lib/http/route';
import { eventStreamResponse } from '@/lib/http/sse';
import { liveEventMessage, watchMailbox } from '@/lib/mail';

export const dynamic = 'force-dynamic';

// Server-sent events for one folder (`?mailbox=INBOX`): ready, exists, flags, expunge, reset, and
// error / end as the last event; a comment every 15 s keeps proxies from closing it. Errors found
// before the first event (bad mailbox, another user's account, needs_reauth) answer as JSON.
export const GET = route({ params: idParams }, ({ request, userId, params, url }) =>
  eventStreamResponse({
    signal: request.signal,
    start: (sink) =>
      watchMailbox({
        userId,
        accountId: params.id,
        mailbox: url.searchParams.get('mailbox'),
        listener: (event) => {
          const { message, last } = liveEventMessage(event);
          sink.send(message, { last });
        },
      }),
  }),
);
