// Acting on mail through the product's service layer (lib/mail: ownership query, session pool,
// token layer, and for sending MailComposer + the SMTP layer) against bare imapflow / bare
// nodemailer doing the same protocol work with a token already in hand, on the same servers in
// one run: flag (SELECT, STORE, FETCH flags on a reused session), move (UID MOVE to Archive) and
// send (a new SMTP connection, STARTTLS, XOAUTH2, one message delivered into Dovecot). Real
// Dovecot and a real smtp-server, both checking XOAUTH2 tokens against the emulator; variants
// interleaved round by round so machine noise hits all alike.
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { logger } from '../lib/log';
import { moveMessage, sendMessage, updateMessageFlags, type MailContext } from '../lib/mail';
import { IMAP_SCOPE, SMTP_SCOPE } from '../lib/microsoft/scopes';
import { createSmtpAccountLoader, createSmtpService } from '../lib/smtp';
import { createImapFixture } from '../tests/support/imap';
import { buildEml } from '../tests/support/mail-fixtures';
import { startSmtpServer } from '../tests/support/smtp';
import { silentLogger } from '../tests/support/tokens';
import { fmt, heading, ratio, summarize } from './stats';

const ROUNDS = 30;
const SEND_ROUNDS = 20;

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function benchMail(): Promise<void> {
  // One "message sent" line per send is for operators, not for this report.
  logger.level = 'warn';
  const f = await createImapFixture();
  const smtp = await startSmtpServer({ introspectionUrl: f.tokens.emulator.smtpIntrospectionUrl, deliverTo: f.dovecot });
  let bare: ImapFlow | undefined;
  try {
    const { emulator, database } = f.tokens;
    const owner = await f.tokens.seedCredential();
    const friend = `friend@contoso.example`;
    emulator.issueRefreshToken({ email: owner.email, scopes: ['openid', 'offline_access', IMAP_SCOPE, SMTP_SCOPE] });
    const seedCount = 2 * (ROUNDS + 1) + 1;
    const uids: number[] = [];
    for (let i = 1; i <= seedCount; i++) uids.push(await f.dovecot.save(owner.email, buildEml({ subject: `Message ${i}`, text: 'Body.\n'.repeat(20) })));
    const flagUid = uids.shift()!;

    const imap = f.imap({ log: silentLogger });
    const tokens = f.tokens.service();
    const smtpService = createSmtpService({
      loadAccount: createSmtpAccountLoader({ db: async () => database.db, secrets: f.tokens.secrets }),
      ensureFreshToken: (id, resource, options) => tokens.ensureFreshToken(id, resource, options),
      oauthEndpoint: { host: smtp.host, port: smtp.port, secure: false },
      log: silentLogger,
      tls: { ca: smtp.ca },
    });
    const ctx: MailContext = { db: database.db, imap, secrets: f.tokens.secrets, forgetCachedTokens: async () => {}, smtp: smtpService };
    const who = { userId: owner.userId, accountId: owner.credentialId };

    // Warm both token caches and the pooled session; the bare scripts get the same tokens.
    await updateMessageFlags({ ...who, uid: String(flagUid), mailbox: 'INBOX', input: { flagged: true }, ctx });
    await sendMessage({ ...who, input: { to: [friend], subject: 'warm-up', text: 'x' }, ctx });
    const imapToken = (await tokens.ensureFreshToken(owner.credentialId, 'imap')).accessToken;
    const smtpToken = (await tokens.ensureFreshToken(owner.credentialId, 'smtp')).accessToken;
    bare = new ImapFlow({ host: f.dovecot.host, port: f.dovecot.port, secure: false, doSTARTTLS: false, auth: { user: owner.email, accessToken: imapToken }, logger: false, disableAutoIdle: true });
    bare.on('error', () => {});
    await bare.connect();
    const client = bare;

    const bareFlag = async (flagged: boolean) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        if (!(await client.fetchOne(String(flagUid), { uid: true }, { uid: true }))) throw new Error('missing');
        if (flagged) await client.messageFlagsAdd(String(flagUid), ['\\Flagged'], { uid: true });
        else await client.messageFlagsRemove(String(flagUid), ['\\Flagged'], { uid: true });
        await client.fetchOne(String(flagUid), { uid: true, flags: true }, { uid: true });
      } finally {
        lock.release();
      }
    };
    const bareMove = async (uid: number) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        if (!(await client.fetchOne(String(uid), { uid: true }, { uid: true }))) throw new Error('missing');
        await client.messageMove(String(uid), 'Archive', { uid: true });
      } finally {
        lock.release();
      }
    };
    const bareSend = async (subject: string) => {
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        requireTLS: true,
        tls: { ca: smtp.ca },
        auth: { type: 'OAuth2', user: owner.email, accessToken: smtpToken },
        logger: false,
      });
      try {
        await transport.sendMail({ from: owner.email, to: friend, subject, text: 'Bench message.' });
      } finally {
        transport.close();
      }
    };

    const samples = { flagStack: [] as number[], flagBare: [] as number[], moveStack: [] as number[], moveBare: [] as number[], sendStack: [] as number[], sendBare: [] as number[] };
    for (let round = 0; round <= ROUNDS; round++) {
      const flagged = round % 2 === 0;
      const stackMove = uids.shift()!;
      const bareMoveUid = uids.shift()!;
      const runs: Array<[keyof typeof samples, () => Promise<unknown>]> = [
        ['flagStack', () => updateMessageFlags({ ...who, uid: String(flagUid), mailbox: 'INBOX', input: { flagged }, ctx })],
        ['flagBare', () => bareFlag(!flagged)],
        ['moveStack', () => moveMessage({ ...who, uid: String(stackMove), mailbox: 'INBOX', input: { to: 'Archive' }, ctx })],
        ['moveBare', () => bareMove(bareMoveUid)],
        ...(round <= SEND_ROUNDS
          ? ([
              ['sendStack', () => sendMessage({ ...who, input: { to: [friend], subject: `stack ${round}`, text: 'Bench message.' }, ctx })],
              ['sendBare', () => bareSend(`bare ${round}`)],
            ] as Array<[keyof typeof samples, () => Promise<unknown>]>)
          : []),
      ];
      // Alternate which of each stack/bare pair goes first; round 0 warms up and is not counted.
      const order = runs.map((_, i) => (round % 2 === 0 ? i : i ^ 1));
      for (const i of order) {
        const [name, run] = runs[i]!;
        const ms = await time(run);
        if (round > 0) samples[name].push(ms);
      }
    }
    const delivered = smtp.received.length;

    heading(`Mail actions: product service layer vs bare imapflow / nodemailer, Dovecot + smtp-server (STARTTLS, XOAUTH2 via introspection)`);
    const line = (label: string, stack: number[], bareSamples: number[]) => {
      const s = summarize(stack);
      const b = summarize(bareSamples);
      console.log(`${label.padEnd(6)} service  p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}   bare  p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}   ratio p50 ${ratio(s.p50, b.p50)}   (${stack.length} rounds)`);
    };
    line('flag', samples.flagStack, samples.flagBare);
    line('move', samples.moveStack, samples.moveBare);
    line('send', samples.sendStack, samples.sendBare);
    console.log(`IMAP sessions opened by the service: ${imap.stats().opened} (1 expected)   messages delivered: ${delivered} (${2 * (SEND_ROUNDS + 1) + 1} expected)`);
    if (delivered !== 2 * (SEND_ROUNDS + 1) + 1) process.exitCode = 1;
  } finally {
    await bare?.logout().catch(() => bare?.close());
    await smtp.stop();
    await f.close();
  }
}
