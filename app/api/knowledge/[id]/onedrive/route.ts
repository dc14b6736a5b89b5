import { after } from 'next/server';
import { getDb } from '@/lib/db';
import { readJson } from '@/lib/http/body';
import { idParams } from '@/lib/http/params';
import { json, noContent } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { linkOneDriveFolder, linkOneDriveFolderInput, unlinkOneDriveFolder } from '@/lib/knowledge';
import { syncLinkNow } from '@/lib/onedrive';

export const dynamic = 'force-dynamic';

// Linking starts the first sync after the response (202); the cron resumes what it leaves.
export const POST = route({ params: idParams }, async ({ userId, params, request }) => {
  const input = await readJson(request, linkOneDriveFolderInput);
  const { linkId } = await linkOneDriveFolder({ db: await getDb(), userId, knowledgeBaseId: params.id, input });
  after(() => syncLinkNow({ linkId }));
  return json({ linkId }, { status: 202 });
});

export const DELETE = route({ params: idParams }, async ({ userId, params }) => {
  await unlinkOneDriveFolder({ db: await getDb(), userId, knowledgeBaseId: params.id });
  return noContent();
});
