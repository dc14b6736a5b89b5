// Connecting (or reconnecting) a Microsoft mailbox: the grant is stored through the token layer,
// and OneDrive links that were paused because the grant was gone resume at once.
import { getDb } from '../db';
import { resumeLinksForCredential } from '../onedrive';
import { storeMicrosoftGrant } from '../tokens';

export type MicrosoftGrantInput = Parameters<typeof storeMicrosoftGrant>[0];

export async function connectMicrosoftMailbox(input: MicrosoftGrantInput): Promise<string> {
  const credentialId = await storeMicrosoftGrant(input);
  await resumeLinksForCredential({ db: await getDb(), credentialId });
  return credentialId;
}
