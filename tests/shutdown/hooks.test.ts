// The registry of claims handed back at shutdown: each hook runs once, failures are isolated and
// counted by kind, unregistered hooks do not run, and the process then reports shutting down.
import { afterEach, expect, it } from 'vitest';
import { isShuttingDown, onShutdown, resetShutdownHooks, runShutdownHooks } from '@/lib/shutdown/hooks';

afterEach(() => resetShutdownHooks());

it('runs what is still registered, once, isolating failures', async () => {
  const ran: string[] = [];
  onShutdown('onedrive_lease', async () => {
    ran.push('a');
  });
  const done = onShutdown('onedrive_lease', async () => {
    ran.push('finished-before-shutdown');
  });
  done();
  onShutdown('cron_claims', async () => {
    throw new Error('database gone');
  });
  onShutdown('cron_claims', async () => {
    ran.push('b');
  });
  expect(isShuttingDown()).toBe(false);
  const report = await runShutdownHooks();
  expect(report).toEqual({ ran: { onedrive_lease: 1, cron_claims: 1 }, failed: { cron_claims: 1 } });
  expect(ran.sort()).toEqual(['a', 'b']);
  expect(isShuttingDown()).toBe(true);
  // Already handed back: a second signal runs nothing again.
  expect(await runShutdownHooks()).toEqual({ ran: {}, failed: {} });
});
