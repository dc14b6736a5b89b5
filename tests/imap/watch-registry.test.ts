// The watcher registry's counting, without a server: `open` is held at a gate and then refuses,
// so what is observed is how many sessions the registry asks for, who hears what, and when it
// lets go. (Watching real mailboxes is tests/imap/watch.test.ts, on Dovecot.)
import { describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { AppError } from '@/lib/errors';
import type { WatchEvent } from '@/lib/imap';
import { childLogger } from '@/lib/log';
import { WatchRegistry } from '@/lib/imap/watch/registry';

function gatedRegistry(options: { maxPerCredential?: number; graceMs?: number } = {}) {
  const opens: string[] = [];
  let release: (error: AppError) => void = () => {};
  const gate = new Promise<never>((_, reject) => (release = reject));
  gate.catch(() => undefined);
  const registry = new WatchRegistry({
    log: childLogger('test'),
    ...options,
    open: (credentialId): Promise<ImapFlow> => {
      opens.push(credentialId);
      return gate;
    },
  });
  return { registry, opens, refuse: (code: 'not_found' | 'needs_reauth') => release(new AppError(code, 'refused')) };
}

const collect = () => {
  const events: WatchEvent[] = [];
  return { events, listener: (e: WatchEvent) => events.push(e) };
};

describe('WatchRegistry', () => {
  it('asks for one session per folder however many listen (INBOX in any case), and every listener hears the outcome', async () => {
    const { registry, opens, refuse } = gatedRegistry();
    const a = collect();
    const b = collect();
    const c = collect();
    const subs = [registry.subscribe('cred-1', 'INBOX', a.listener), registry.subscribe('cred-1', 'inbox', b.listener), registry.subscribe('cred-1', 'Archive', c.listener)];
    await new Promise((r) => setTimeout(r, 10));
    expect(opens).toEqual(['cred-1', 'cred-1']);
    expect(registry.stats()).toEqual({ watchers: 2, listeners: 3, started: 2 });
    refuse('needs_reauth');
    for (const s of subs) await expect(s.ready).rejects.toMatchObject({ code: 'needs_reauth' });
    for (const r of [a, b, c]) expect(r.events).toEqual([{ type: 'error', code: 'needs_reauth', message: 'refused' }]);
    // A watcher that ended is forgotten: the next listener starts a new one.
    expect(registry.stats().watchers).toBe(0);
    for (const s of subs) s.close();
  });

  it('leaving twice counts once; the last to leave stops the watcher after the grace period', async () => {
    const { registry, opens } = gatedRegistry({ graceMs: 20 });
    const first = registry.subscribe('cred-2', 'INBOX', () => {});
    const second = registry.subscribe('cred-2', 'INBOX', () => {});
    first.close();
    first.close();
    expect(registry.stats()).toMatchObject({ watchers: 1, listeners: 1 });
    second.close();
    expect(registry.stats()).toMatchObject({ watchers: 1, listeners: 0 });
    await expect(second.ready).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(registry.stats().watchers).toBe(0);
    expect(opens).toHaveLength(1);
  });

  it('a listener back within the grace period keeps the same watcher', async () => {
    const { registry, opens } = gatedRegistry({ graceMs: 60_000 });
    registry.subscribe('cred-3', 'INBOX', () => {}).close();
    registry.subscribe('cred-3', 'INBOX', () => {});
    expect(opens).toHaveLength(1);
    expect(registry.stats()).toMatchObject({ watchers: 1, listeners: 1, started: 1 });
    await registry.shutdown();
  });

  it('bounds the folders per mailbox; one nobody listens to makes room; other mailboxes are not affected', async () => {
    const { registry } = gatedRegistry({ maxPerCredential: 1, graceMs: 60_000 });
    const inbox = registry.subscribe('cred-4', 'INBOX', () => {});
    expect(() => registry.subscribe('cred-4', 'Archive', () => {})).toThrow(expect.objectContaining({ code: 'upstream_unavailable', retryAfter: 30 }));
    registry.subscribe('cred-5', 'Archive', () => {});
    inbox.close();
    registry.subscribe('cred-4', 'Archive', () => {});
    await expect(inbox.ready).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(registry.stats()).toMatchObject({ watchers: 2, listeners: 2 });
    await registry.shutdown();
  });

  it('shutdown ends every subscription with `end` and refuses new ones', async () => {
    const { registry } = gatedRegistry();
    const r = collect();
    registry.subscribe('cred-6', 'INBOX', r.listener);
    await registry.shutdown();
    expect(r.events).toEqual([{ type: 'end', reason: 'shutdown' }]);
    expect(registry.stats()).toMatchObject({ watchers: 0, listeners: 0 });
    expect(() => registry.subscribe('cred-6', 'INBOX', () => {})).toThrow(AppError);
  });
});
