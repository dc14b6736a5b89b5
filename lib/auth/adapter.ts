// next-auth's Prisma adapter, opened lazily (the database client is async here) and with one
// change: account links never store tokens. Tokens live sealed in MailCredential (lib/tokens);
// the Account row only records which Microsoft identity belongs to which user.
import { PrismaAdapter } from '@next-auth/prisma-adapter';
import type { Adapter, AdapterAccount, AdapterUser } from 'next-auth/adapters';
import { getDb, type PrismaClient } from '../db';

type PrismaAdapterClient = Parameters<typeof PrismaAdapter>[0];

export function tokenlessAccountLink(account: AdapterAccount): AdapterAccount {
  // Only the identity columns: token columns stay null, and fields Microsoft adds to token
  // responses (ext_expires_in…) never reach Prisma.
  return {
    userId: account.userId,
    type: account.type,
    provider: account.provider,
    providerAccountId: account.providerAccountId,
  };
}

export function createAuthAdapter(db: () => Promise<PrismaClient> = getDb): Adapter {
  // The generated Prisma 7 client has the models the adapter expects, under another type name.
  const base = async () => PrismaAdapter((await db()) as unknown as PrismaAdapterClient);
  return {
    createUser: async (user: Omit<AdapterUser, 'id'>) => (await base()).createUser!(user as AdapterUser),
    getUser: async (id) => (await base()).getUser!(id),
    getUserByEmail: async (email) => (await base()).getUserByEmail!(email),
    getUserByAccount: async (key) => (await base()).getUserByAccount!(key),
    updateUser: async (user) => (await base()).updateUser!(user),
    deleteUser: async (id) => {
      await (await base()).deleteUser!(id);
    },
    linkAccount: async (account: AdapterAccount) => {
      await (await base()).linkAccount!(tokenlessAccountLink(account));
    },
    unlinkAccount: async (key: Pick<AdapterAccount, 'provider' | 'providerAccountId'>) => {
      await (await base()).unlinkAccount!(key);
    },
    getSessionAndUser: async (token) => (await base()).getSessionAndUser!(token),
    createSession: async (session) => (await base()).createSession!(session),
    updateSession: async (session) => (await base()).updateSession!(session),
    // Tolerant of a session already gone (signing out twice, or in two tabs).
    deleteSession: async (sessionToken) => {
      await (await db()).session.deleteMany({ where: { sessionToken } });
    },
  };
}
