// The per-credential cooldown after a freshly refreshed token was rejected: how long it lasts,
// and that it stays bounded however many mailboxes have IMAP turned off.
import { describe, expect, it } from 'vitest';
import { RefreshCooldown } from '@/lib/imap/refresh-cooldown';

describe('RefreshCooldown', () => {
  it('lasts its window, counted in whole seconds, and ends early when a login goes through', () => {
    let now = 1_000_000;
    const cooldown = new RefreshCooldown({ windowMs: 60_000, clock: () => now });
    expect(cooldown.remainingSeconds('a')).toBe(0);
    expect(cooldown.start('a')).toBe(60);
    now += 59_500;
    expect(cooldown.remainingSeconds('a')).toBe(1);
    now += 500;
    expect(cooldown.remainingSeconds('a')).toBe(0);
    expect(cooldown.size).toBe(0);

    cooldown.start('b');
    cooldown.clear('b');
    expect(cooldown.remainingSeconds('b')).toBe(0);
  });

  it('prunes expired entries, and past its cap drops the oldest', () => {
    let now = 0;
    const cooldown = new RefreshCooldown({ windowMs: 60_000, maxEntries: 3, clock: () => now });
    for (let i = 0; i < 3; i++) cooldown.start(`old${i}`);
    now += 61_000;
    cooldown.start('new0');
    expect(cooldown.size).toBe(1);

    for (let i = 1; i < 10; i++) {
      now += 1;
      cooldown.start(`new${i}`);
    }
    expect(cooldown.size).toBe(3);
    expect(['new7', 'new8', 'new9'].every((id) => cooldown.remainingSeconds(id) > 0)).toBe(true);
    expect(cooldown.remainingSeconds('new6')).toBe(0);
  });
});
