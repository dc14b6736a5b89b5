// The production build holds several copies of a module (one per route entry and layer); errors
// thrown by a service one copy built must still be recognised by another copy's checks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test, vi } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

/** A fresh copy of the modules, as a second route entry of the production build has. */
async function copy() {
  vi.resetModules();
  return {
    errors: await import('@/lib/errors'),
    respond: await import('@/lib/http/respond'),
    tokens: await import('@/lib/tokens/ensure-fresh-token'),
    onedrive: await import('@/lib/onedrive/errors'),
    outcome: await import('@/lib/onedrive/outcome'),
  };
}

describe('errors across module copies', () => {
  test('the copies really are distinct classes', async () => {
    const a = await copy();
    const b = await copy();
    expect(a.errors.AppError).not.toBe(b.errors.AppError);
    expect(Object.getPrototypeOf(new a.errors.AppError('not_found', 'x'))).not.toBe(b.errors.AppError.prototype);
  });

  test('instanceof recognises an error from another copy, subclasses included', async () => {
    const a = await copy();
    const b = await copy();
    const revoked = new a.tokens.RefreshFailedError({ kind: 'reauth', code: 'invalid_grant' });
    expect(revoked instanceof b.tokens.RefreshFailedError).toBe(true);
    expect(revoked instanceof b.errors.AppError).toBe(true);
    expect(revoked instanceof b.errors.BrandedError).toBe(true);
    expect(revoked instanceof Error).toBe(true);
    // A parent is not an instance of its subclass, and siblings stay apart.
    expect(new a.errors.AppError('not_found', 'x') instanceof b.tokens.RefreshFailedError).toBe(false);
    expect(new a.onedrive.GraphError(404, 'itemNotFound') instanceof b.errors.AppError).toBe(false);
    expect(new a.onedrive.LeaseLostError() instanceof b.onedrive.DeadlineReachedError).toBe(false);
    expect({ code: 'not_found' } instanceof b.errors.AppError).toBe(false);
    expect((null as unknown as object) instanceof b.errors.AppError).toBe(false);
  });

  test("a route's error response maps another copy's errors to their status, not 500", async () => {
    const service = await copy();
    const route = await copy();
    const revoked = route.respond.errorResponse(new service.tokens.RefreshFailedError({ kind: 'reauth', code: 'invalid_grant' }));
    expect(revoked.status).toBe(409);
    expect(await revoked.json()).toMatchObject({ error: { code: 'needs_reauth' } });
    const missing = route.respond.errorResponse(new service.errors.AppError('not_found', 'No such mailbox'));
    expect(missing.status).toBe(404);
    const busy = route.respond.errorResponse(new service.errors.AppError('upstream_unavailable', 'Busy', { retryAfter: 7 }));
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    const consent = route.respond.errorResponse(new service.errors.AppError('needs_reauth', 'Allow OneDrive', { reconnectUrl: '/api/mail/connect?files=1' }));
    expect(await consent.json()).toEqual({ error: { code: 'needs_reauth', message: 'Allow OneDrive', reconnectUrl: '/api/mail/connect?files=1' } });
  });

  test("the sync's verdict recognises another copy's errors", async () => {
    const service = await copy();
    const judge = await copy();
    expect(judge.outcome.judgeFailure(new service.onedrive.LeaseLostError()).outcome).toBe('lease_lost');
    expect(judge.outcome.judgeFailure(new service.tokens.RefreshFailedError({ kind: 'reauth', code: 'invalid_grant' })).outcome).toBe('needs_reauth');
    expect(judge.outcome.judgeFailure(new service.onedrive.GraphError(404, 'itemNotFound')).code).toBe('folder_not_found');
  });

  test('a subclass without its own brand cannot be constructed', async () => {
    const { AppError } = await copy().then((c) => c.errors);
    class Unbranded extends AppError {}
    expect(() => new Unbranded('not_found', 'x')).toThrow(/must declare its own static brand/);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'generated' || name === 'node_modules') return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) ? [full] : [];
  });
}

describe('every error class is branded', () => {
  const files = ['lib', 'app'].flatMap((d) => sourceFiles(path.join(ROOT, d)));

  test('no class extends Error directly (BrandedError itself aside)', () => {
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/class\s+(\w+)\s+extends\s+Error\b/g)]
        .map((m) => `${path.relative(ROOT, file)}: ${m[1]}`)
        .filter((where) => where !== 'lib/errors.ts: BrandedError'),
    );
    expect(offenders).toEqual([]);
  });

  test('brands are unique', () => {
    const brands = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/static (?:override )?readonly brand: string = '([^']+)'/g)].map((m) => m[1]));
    expect(brands.length).toBeGreaterThan(10);
    expect(new Set(brands).size).toBe(brands.length);
  });
});
