// The signed-in user, for route handlers and server components.
import { getServerSession } from 'next-auth';
import { unauthenticated } from '../errors';
import { getAuthOptions } from './options';

/** The signed-in user's id, or null. */
export async function currentUserId(): Promise<string | null> {
  const session = await getServerSession(getAuthOptions());
  return session?.user?.id ?? null;
}

export async function requireUserId(): Promise<string> {
  const id = await currentUserId();
  if (!id) throw unauthenticated();
  return id;
}
