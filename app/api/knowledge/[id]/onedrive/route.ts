import { getDb } from '@/lib/db';
import { readJson } from '@/lib/http/body';
import { idParams } from '@/lib/http/params';
import { json, noContent } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { linkOneDriveFolder, linkOneDriveFolderInput, unlinkOneDriveFolder } from '@/lib/knowledge';

export const dynamic = 'force-dynamic';

// Linking makes the first sync due at once; the sync itself runs in the background (202).
export const POST = route({ params: idParams }, async ({ userId, params, request }) => {
  const input = await readJson(request, linkOneDriveFolderInput);
  return json(await linkOneDriveFolder({ db: await getDb(), userId, knowledgeBaseId: params.id, input }), { status: 202 });
});

export const DELETE = route({ params: idParams }, async ({ userId, params }) => {
  await unlinkOneDriveFolder({ db: await getDb(), userId, knowledgeBaseId: params.id });
  return noContent();
});
