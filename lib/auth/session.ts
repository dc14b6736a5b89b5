// The signed-in user, for route handlers and server components.
import { getServerSession } from 'next-auth';
import { unauthenticated } from '../errors';
import { getAuthOptions } from './options';

export interface CurrentUser {
  id: string;
  email: string | null;
  name: string | null;
}

export async function currentUser(): Promise<CurrentUser | null> {
  const session = await getServerSession(getAuthOptions());
  const user = session?.user;
  if (!user?.id) return null;
  return { id: user.id, email: user.email ?? null, name: user.name ?? null };
}

/** The signed-in user's id, or null. */
export async function currentUserId(): Promise<string | null> {
  return (await currentUser())?.id ?? null;
}

export async function requireUserId(): Promise<string> {
  const id = await currentUserId();
  if (!id) throw unauthenticated();
  return id;
}
