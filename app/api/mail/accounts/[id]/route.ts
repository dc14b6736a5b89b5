import { idParams } from '@/lib/http/params';
import { noContent } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { disconnectAccount } from '@/lib/mail';

export const dynamic = 'force-dynamic';

export const DELETE = route({ params: idParams }, async ({ userId, params }) => {
  await disconnectAccount({ userId, accountId: params.id });
  return noContent();
});
