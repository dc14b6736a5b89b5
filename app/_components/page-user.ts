import { redirect } from 'next/navigation';
import { currentUserId } from '@/lib/auth';

/** For pages: the signed-in user's id, or off to the sign-in page. */
export async function pageUserId(): Promise<string> {
  const id = await currentUserId();
  if (!id) redirect('/signin');
  return id;
}
