// A connect flow between its start and its callback. The secrets (PKCE verifier, nonce) travel
// sealed in a short-lived httpOnly cookie bound to the user; a database row keyed by a hash of
// the state makes the callback single use across processes, even if the cookie is replayed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { PrismaClient } from '../../db';
import type { SecretBox } from '../../crypto';
import { sameSitePath } from '../../http/return-to';

export const CONNECT_COOKIE = 'mb.mail-connect';
export const CONNECT_TTL_SECONDS = 10 * 60;
const AAD = `cookie:${CONNECT_COOKIE}`;

const pendingSchema = z.object({
  state: z.string().min(16),
  verifier: z.string().min(43),
  nonce: z.string().min(16),
  userId: z.string().min(1),
  scopes: z.array(z.string()),
  expiresAt: z.number(),
  /** Where the callback sends the person once connected (a same-site path). */
  returnTo: sameSitePath.optional(),
});

export type PendingConnect = z.infer<typeof pendingSchema>;

export function sealPending(box: SecretBox, pending: PendingConnect): string {
  return box.seal(JSON.stringify(pending), AAD);
}

/** The pending flow, or null when the cookie is missing, altered, foreign or expired. */
export function openPending(box: SecretBox, sealed: string | undefined, now: number): PendingConnect | null {
  if (!sealed) return null;
  try {
    const parsed = pendingSchema.safeParse(JSON.parse(box.open(sealed, AAD)));
    if (!parsed.success || parsed.data.expiresAt <= now) return null;
    return parsed.data;
  } catch {
    return null;
  }
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// next-auth's VerificationToken table is exactly a store of expiring one-time tokens; the
// identifier namespaces these rows away from e-mail sign-in tokens (unused here).
const identifierFor = (userId: string) => `mail-connect:${userId}`;
const hashState = (state: string) => createHash('sha256').update(state).digest('base64url');

/** Flows a user may have open at once (tabs, retries); starting another drops the oldest. */
export const MAX_OPEN_CONNECTS = 5;

export async function recordPending(db: PrismaClient, pending: PendingConnect, now: number): Promise<void> {
  const identifier = identifierFor(pending.userId);
  // Every flow lives CONNECT_TTL_SECONDS, so the oldest expire first. Bounded: at most the cap
  // plus whatever concurrent starts added (and the route's rate limit bounds those).
  const surplus = await db.verificationToken.findMany({
    where: { identifier, expires: { gte: new Date(now) } },
    orderBy: { expires: 'desc' },
    skip: MAX_OPEN_CONNECTS - 1,
    take: 100,
    select: { token: true },
  });
  await db.$transaction([
    db.verificationToken.deleteMany({
      where: { identifier, OR: [{ expires: { lt: new Date(now) } }, { token: { in: surplus.map((row) => row.token) } }] },
    }),
    db.verificationToken.create({ data: { identifier, token: hashState(pending.state), expires: new Date(pending.expiresAt) } }),
  ]);
}

/** True exactly once per started flow: the row is deleted as it is claimed. */
export async function claimPending(db: PrismaClient, pending: PendingConnect, now: number): Promise<boolean> {
  const { count } = await db.verificationToken.deleteMany({
    where: { identifier: identifierFor(pending.userId), token: hashState(pending.state), expires: { gt: new Date(now) } },
  });
  return count === 1;
}
