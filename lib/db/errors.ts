// Prisma's error classes live in the generated client, which the production build bundles once
// per route entry: `instanceof Prisma.PrismaClientKnownRequestError` fails for an error thrown by
// the process-wide client another copy built. Prisma's documented error codes survive the copies.

/** A unique constraint refused the write (Prisma P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return prismaErrorCode(error) === 'P2002';
}

function prismaErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'PrismaClientKnownRequestError') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
