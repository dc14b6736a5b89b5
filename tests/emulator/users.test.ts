import { expect, it } from 'vitest';
import { startMicrosoftEmulator } from '@/emulator';

it('keeps a user’s object id across restarts of the same tenant, and not across tenants', async () => {
  const tenantId = '72f988bf-0000-4000-8000-00000000abcd';
  const first = await startMicrosoftEmulator({ tenantId });
  const second = await startMicrosoftEmulator({ tenantId });
  const other = await startMicrosoftEmulator();
  try {
    const a = first.addUser({ email: 'Demo@Contoso.example' });
    const b = second.addUser({ email: 'demo@contoso.example' });
    const c = other.addUser({ email: 'demo@contoso.example' });
    expect(a.oid).toBe(b.oid);
    expect(c.oid).not.toBe(a.oid);
    expect(a.oid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  } finally {
    await Promise.all([first.close(), second.close(), other.close()]);
  }
});
