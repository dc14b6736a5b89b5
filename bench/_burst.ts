import { createDb } from '../lib/db';
import { findUsableAccount } from '../lib/mail/accounts';
import { parseListMessagesParams } from '../lib/imap';
import { createImapFixture } from '../tests/support/imap';
import { buildEml } from '../tests/support/mail-fixtures';
import { silentLogger } from '../tests/support/tokens';
import { summarize, fmt } from './stats';
async function main() {
  const f = await createImapFixture();
  const owner = await f.tokens.seedCredential();
  for (let i = 1; i <= 200; i++) await f.dovecot.save(owner.email, buildEml({ subject: `M ${i}`, text: 'x\n'.repeat(20) }));
  const instances = [f.imap({ log: silentLogger }), f.imap({ log: silentLogger })];
  const dbs = await Promise.all(instances.map(() => createDb({ url: f.tokens.database.url })));
  const ctxs = instances.map((imap, i) => ({ db: dbs[i]!.db, imap, secrets: f.tokens.secrets }));
  const params = parseListMessagesParams({ limit: 50 });
  for (const c of ctxs) await c.imap.listMessages(owner.credentialId, params);
  const own: number[] = [], imapT: number[] = [], total: number[] = [];
  for (let b = 0; b < 10; b++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 60 }, async (_, i) => {
      const c = ctxs[i % 2]!;
      const acc = await findUsableAccount(c, { userId: owner.userId, accountId: owner.credentialId });
      const t1 = performance.now();
      await c.imap.listMessages(acc, params);
      const t2 = performance.now();
      own.push(t1 - t0); imapT.push(t2 - t1); total.push(t2 - t0);
    }));
  }
  for (const [k, v] of Object.entries({ own, imapT, total })) { const s = summarize(v); console.log(k, 'p50', fmt(s.p50), 'p99', fmt(s.p99)); }
  await Promise.all(dbs.map((d) => d.close())); await f.close();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
