import { idParams } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { listMailboxes } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const GET = route({ params: idParams }, async ({ userId, params }) => json(await listMailboxes({ userId, accountId: params.id })));
