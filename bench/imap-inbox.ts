// Time to the first inbox page (the 50 newest messages) through the mail stack — lib/mail's
// listMessages: ownership query, session pool, token layer, XOAUTH2 login, EXAMINE, FETCH — on a
// cold IMAP session and on a reused one, each against a bare imapflow script doing the same IMAP
// work with a token already in hand. Real Dovecot checking XOAUTH2 tokens against the emulator's
// introspection; the four variants are interleaved round by round so machine noise hits all alike.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { ImapFlow, type FetchQueryObject } from 'imapflow';
import { listMessages, type MailContext } from '../lib/mail';
import { createImapFixture, type ImapFixture } from '../tests/support/imap';
import { buildEml } from '../tests/support/mail-fixtures';
import { silentLogger } from '../tests/support/tokens';
import { fmt, heading, ratio, summarize } from './stats';

const MESSAGES = 500;
const PAGE = 50;
const ROUNDS = 100;
/** What lib/imap fetches for a page of summaries; the bare script asks for the same. */
const SUMMARY_QUERY: FetchQueryObject = { uid: true, flags: true, envelope: true, size: true, internalDate: true };

function bareClient(endpoint: { host: string; port: number }, user: string, accessToken: string): ImapFlow {
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, accessToken },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => {});
  return client;
}

/** The bare script's page: EXAMINE INBOX, FETCH the newest PAGE by sequence number. Returns the newest UID. */
async function barePage(client: ImapFlow): Promise<{ count: number; newest: number }> {
  const lock = await client.getMailboxLock('INBOX', { readOnly: true });
  try {
    const exists = client.mailbox ? client.mailbox.exists : 0;
    const rows = await client.fetchAll(`${Math.max(1, exists - PAGE + 1)}:${exists}`, SUMMARY_QUERY);
    return { count: rows.length, newest: Math.max(...rows.map((r) => r.uid)) };
  } finally {
    lock.release();
  }
}

/** The conditions a figure was measured in: shared machines make load part of the result. */
function machine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}`;
}

async function time<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

const BURST = 60;
const INSTANCES = 2;
const BURSTS = 10;

interface WorkerAnswer {
  ms: number[];
  fetches?: number;
  peakSessions?: number;
  opened?: number;
  mismatches?: number;
}

/** One app instance in its own process (bench/imap-burst-worker.ts), driven one JSON line at a time. */
function startInstance(config: object) {
  // stdout carries the answers only: the app's own logs are silenced in the worker.
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/imap-burst-worker.ts', JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  const lines = createInterface({ input: child.stdout });
  const answers: Array<(answer: WorkerAnswer) => void> = [];
  lines.on('line', (line) => answers.shift()?.(JSON.parse(line) as WorkerAnswer));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    ask(command: object): Promise<WorkerAnswer> {
      return new Promise((resolve, reject) => {
        answers.push(resolve);
        exited.then((code) => reject(new Error(`burst worker exited (${code})`)), () => {});
        child.stdin.write(`${JSON.stringify(command)}\n`);
      });
    },
    async stop() {
      child.stdin.end(`${JSON.stringify({ quit: true })}\n`);
      await exited;
    },
  };
}

/**
 * 60 concurrent first-page requests through lib/mail (an ownership query each), 30 in each of
 * two app instances running as separate processes with their own database and IMAP pools:
 * latency of each request, sessions per mailbox per instance, FETCH commands sent. Baseline:
 * one request alone on the same warm instances, measured between the bursts.
 */
async function concurrentBurst(options: { f: ImapFixture; owner: { userId: string; credentialId: string; email: string }; newestUid: number }) {
  const { f, owner, newestUid } = options;
  const config = {
    databaseUrl: f.tokens.database.url,
    keyBase64: f.tokens.keyBase64,
    imapHost: f.dovecot.host,
    imapPort: f.dovecot.port,
    accessToken: f.tokens.emulator.issueAccessToken({ email: owner.email, resource: 'imap' }),
    userId: owner.userId,
    credentialId: owner.credentialId,
    page: PAGE,
    newestUid,
  };
  const instances = Array.from({ length: INSTANCES }, () => startInstance(config));
  try {
    const alone: number[] = [];
    const inBurst: number[] = [];
    let fetches = 0;
    let peakSessions = 0;
    let mismatches = 0;
    let opened = 0;
    for (let b = 0; b < BURSTS; b++) {
      for (const instance of instances) alone.push(...(await instance.ask({ alone: true })).ms);
      const at = Date.now() + 200;
      const answers = await Promise.all(instances.map((instance) => instance.ask({ burst: BURST / INSTANCES, at })));
      opened = 0;
      for (const a of answers) {
        inBurst.push(...a.ms);
        fetches += a.fetches ?? 0;
        peakSessions = Math.max(peakSessions, a.peakSessions ?? 0);
        mismatches += a.mismatches ?? 0;
        opened += a.opened ?? 0;
      }
    }
    return { alone: summarize(alone), inBurst: summarize(inBurst), peakSessions, opened, fetches, mismatches };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

export async function benchImapInbox(): Promise<void> {
  const f = await createImapFixture();
  let reusedBare: ImapFlow | undefined;
  try {
    const { emulator, database } = f.tokens;
    const owner = await f.tokens.seedCredential();
    const endpoint = { host: f.dovecot.host, port: f.dovecot.port };

    // Seed the mailbox over IMAP (one session, APPEND oldest first).
    const seeder = bareClient(endpoint, owner.email, emulator.issueAccessToken({ email: owner.email, resource: 'imap' }));
    await seeder.connect();
    const start = Date.parse('2024-01-01T00:00:00Z');
    for (let i = 1; i <= MESSAGES; i++) {
      const date = new Date(start + i * 60_000);
      await seeder.append('INBOX', buildEml({ subject: `Message ${i}`, from: `Sender ${i % 17} <s${i % 17}@example.com>`, date, text: `Body of message ${i}.\n`.repeat(20) }), [], date);
    }
    await seeder.logout();

    const imap = f.imap({ log: silentLogger });
    const ctx: MailContext = { db: database.db, imap, secrets: f.tokens.secrets, forgetCachedTokens: async () => {} };
    const stackPage = () => listMessages({ userId: owner.userId, accountId: owner.credentialId, mailbox: 'INBOX', limit: String(PAGE), ctx });

    // The process's very first page also redeems the refresh token; reported apart, not in the ratios.
    const first = await time(stackPage);
    if (first.value.messages.length !== PAGE) throw new Error(`expected ${PAGE} messages, got ${first.value.messages.length}`);
    const newestUid = first.value.messages[0]!.uid;
    // The bare script is handed the same access token the token layer now holds (a cache hit).
    const { accessToken } = await f.tokens.service().ensureFreshToken(owner.credentialId, 'imap');

    const coldBare = async () => {
      const client = bareClient(endpoint, owner.email, accessToken);
      const run = await time(async () => {
        await client.connect();
        return barePage(client);
      });
      await client.logout();
      return run;
    };
    reusedBare = bareClient(endpoint, owner.email, accessToken);
    await reusedBare.connect();
    const warmBare = reusedBare;

    const samples = { coldStack: [] as number[], coldBare: [] as number[], reusedStack: [] as number[], reusedBare: [] as number[] };
    let mismatches = 0;
    const check = (count: number, newest: number) => {
      if (count !== PAGE || newest !== newestUid) mismatches++;
    };
    // Round 0 warms both paths up and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      await imap.closeSessionsFor(owner.credentialId); // the next stack page opens a new session
      const variants: Array<[keyof typeof samples, () => Promise<{ value: { count: number; newest: number }; ms: number }>]> = [
        ['coldStack', async () => {
          const r = await time(stackPage);
          return { value: { count: r.value.messages.length, newest: r.value.messages[0]?.uid ?? 0 }, ms: r.ms };
        }],
        ['coldBare', coldBare],
        ['reusedStack', async () => {
          const r = await time(stackPage);
          return { value: { count: r.value.messages.length, newest: r.value.messages[0]?.uid ?? 0 }, ms: r.ms };
        }],
        ['reusedBare', () => time(() => barePage(warmBare))],
      ];
      // The cold stack page must come before the reused one; alternate which of stack/bare goes first.
      const order = round % 2 === 0 ? [0, 1, 2, 3] : [1, 0, 3, 2];
      for (const i of order) {
        const [name, run] = variants[i]!;
        const { value, ms } = await run();
        check(value.count, value.newest);
        if (round > 0) samples[name].push(ms);
      }
    }
    const opened = imap.stats().opened;

    const cs = summarize(samples.coldStack);
    const cb = summarize(samples.coldBare);
    const rs = summarize(samples.reusedStack);
    const rb = summarize(samples.reusedBare);
    heading(`IMAP first inbox page: ${PAGE} newest of ${MESSAGES} messages, Dovecot + XOAUTH2 (introspection), ${ROUNDS} rounds`);
    console.log(machine());
    console.log(`first page of the process (refresh token redeemed, cold session)  ${fmt(first.ms)}`);
    console.log(`cold session    mail stack  p50 ${fmt(cs.p50)}  p99 ${fmt(cs.p99)}   bare imapflow  p50 ${fmt(cb.p50)}  p99 ${fmt(cb.p99)}   ratio p50 ${ratio(cs.p50, cb.p50)}`);
    console.log(`reused session  mail stack  p50 ${fmt(rs.p50)}  p99 ${fmt(rs.p99)}   bare imapflow  p50 ${fmt(rb.p50)}  p99 ${fmt(rb.p99)}   ratio p50 ${ratio(rs.p50, rb.p50)}`);
    console.log(`reuse saves     mail stack  reused/cold p50 ${ratio(rs.p50, cs.p50)}   bare reused/cold p50 ${ratio(rb.p50, cb.p50)}`);
    console.log(`sessions opened by the stack: ${opened} (${ROUNDS + 2} expected)   pages not matching the newest ${PAGE}: ${mismatches}`);

    const burst = await concurrentBurst({ f, owner, newestUid });
    console.log(machine());
    heading(`${BURST} concurrent first-page requests for one mailbox over ${INSTANCES} app instances (processes, ${BURST / INSTANCES} each), ${BURSTS} bursts`);
    console.log(`one request alone (same instances, warm)  p50 ${fmt(burst.alone.p50)}`);
    console.log(`in a burst of ${BURST}  p50 ${fmt(burst.inBurst.p50)}  p99 ${fmt(burst.inBurst.p99)}   ratio p50 to one alone ${ratio(burst.inBurst.p50, burst.alone.p50)}`);
    console.log(`IMAP sessions per mailbox per instance: at most ${burst.peakSessions} open (pool bound 2), ${burst.opened} opened in all   FETCHes: ${burst.fetches} for ${BURST * BURSTS} requests   pages not matching: ${burst.mismatches}`);
    if (mismatches > 0 || burst.mismatches > 0) process.exitCode = 1;
  } finally {
    await reusedBare?.logout().catch(() => reusedBare?.close());
    await f.close();
  }
}
