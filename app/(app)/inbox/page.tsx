import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getEnv, liveUpdatesMode } from '@/lib/env';
import type { MailboxInfo } from '@/lib/imap';
import { listAccounts, listMailboxes, listMessages, type AccountSummary } from '@/lib/mail';
import { withQuery } from '../../_components/format';
import { LiveMessages } from '../../_components/live-messages';
import { pageUserId } from '../../_components/page-user';
import { attempt, Problem } from '../../_components/problem';

export const metadata: Metadata = { title: 'Inbox' };

const PAGE_SIZE = 25;

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

export default async function InboxPage({ searchParams }: { searchParams: Promise<Search> }) {
  const userId = await pageUserId();
  const [accounts, query] = await Promise.all([listAccounts({ userId }), searchParams]);
  if (accounts.length === 0) return <NoMailboxes />;
  const wanted = one(query.account);
  const account = wanted ? accounts.find((a) => a.id === wanted) : (accounts.find((a) => a.status === 'active') ?? accounts[0]);
  if (!account) notFound();
  const mailbox = one(query.mailbox) ?? 'INBOX';
  const cursor = one(query.cursor);
  // Blank search text is no search (the API would refuse it).
  const q = one(query.q)?.trim() || undefined;
  const here = withQuery('/inbox', { account: account.id, mailbox, q, cursor });

  const [folders, page] = await Promise.all([
    attempt(() => listMailboxes({ userId, accountId: account.id })),
    attempt(() => listMessages({ userId, accountId: account.id, mailbox, limit: PAGE_SIZE, cursor, q })),
  ]);
  const current = folders.ok ? folders.value.find((f) => f.path === mailbox) : undefined;

  return (
    <div>
      <AccountSwitch accounts={accounts} current={account} />
      <div className="mail-layout">
        <aside aria-label="Folders" className="card">
          {folders.ok ? <Folders folders={folders.value} accountId={account.id} current={mailbox} /> : <p className="muted">Folders unavailable.</p>}
        </aside>
        <section className="card" aria-labelledby="list-heading">
          <h1 id="list-heading">
            {current ? folderLabel(current) : mailbox.toUpperCase() === 'INBOX' ? 'Inbox' : mailbox}
            {current ? <span className="muted"> · {current.messages} messages</span> : null}
          </h1>
          {query.sent === '1' ? (
            <p className="alert ok" role="status">
              Message sent.
            </p>
          ) : null}
          <p className="actions">
            <Link className="button primary" href={`/inbox/${encodeURIComponent(account.id)}/compose`}>
              New message
            </Link>
          </p>
          <SearchForm accountId={account.id} mailbox={mailbox} q={q} />
          {q ? (
            <p className="muted" role="status">
              Messages matching “{q}” · <Link href={withQuery('/inbox', { account: account.id, mailbox })}>Show all</Link>
            </p>
          ) : null}
          {page.ok ? (
            <LiveMessages
              messages={page.value.messages}
              accountId={account.id}
              mailbox={mailbox}
              searching={q !== undefined}
              acceptNew={!cursor && q === undefined}
              limit={PAGE_SIZE}
              mode={account.status === 'needs_reauth' ? 'off' : liveUpdatesMode()}
              pollSeconds={getEnv().MAIL_LIVE_POLL_SECONDS}
            />
          ) : (
            <Problem error={page.error} accountId={account.id} retryHref={here} />
          )}
          <nav className="pager" aria-label="Pages">
            {cursor ? <Link href={withQuery('/inbox', { account: account.id, mailbox, q })}>← Newest</Link> : <span />}
            {page.ok && page.value.nextCursor ? (
              <Link href={withQuery('/inbox', { account: account.id, mailbox, q, cursor: page.value.nextCursor })} rel="next">
                Older →
              </Link>
            ) : null}
          </nav>
        </section>
      </div>
    </div>
  );
}

function NoMailboxes() {
  return (
    <div className="card stack">
      <h1>No mailboxes connected</h1>
      <p>Connect a Microsoft mailbox or add an IMAP mailbox to see your mail here.</p>
      <Link className="button primary" href="/accounts">
        Manage mailboxes
      </Link>
    </div>
  );
}

function AccountSwitch({ accounts, current }: { accounts: AccountSummary[]; current: AccountSummary }) {
  if (accounts.length < 2) {
    return (
      <p className="account-switch muted">
        {current.email}
        {current.status !== 'active' ? <span className={`badge ${current.status}`}>Needs attention</span> : null}
      </p>
    );
  }
  // A plain GET form: works from the keyboard and without JavaScript.
  return (
    <form className="account-switch" action="/inbox" method="get">
      <label className="inline">
        Mailbox
        <select name="account" defaultValue={current.id}>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.email}
              {a.status !== 'active' ? ' (needs attention)' : ''}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="button">
        Open
      </button>
    </form>
  );
}

const folderLabel = (f: MailboxInfo) => (f.path.toUpperCase() === 'INBOX' ? 'Inbox' : f.name);

const SPECIAL_ORDER = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'];

function Folders({ folders, accountId, current }: { folders: MailboxInfo[]; accountId: string; current: string }) {
  const rank = (f: MailboxInfo) => {
    if (f.path.toUpperCase() === 'INBOX') return 0;
    const i = f.specialUse ? SPECIAL_ORDER.indexOf(f.specialUse) : -1;
    return i >= 0 ? i + 1 : SPECIAL_ORDER.length + 1;
  };
  const sorted = [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  return (
    <ul className="folders">
      {sorted.map((f) => (
        <li key={f.path}>
          <Link href={withQuery('/inbox', { account: accountId, mailbox: f.path })} aria-current={f.path === current ? 'page' : undefined}>
            <span>{folderLabel(f)}</span>
            {f.unseen > 0 ? (
              <span className="count">
                {f.unseen}
                <span className="visually-hidden"> unread</span>
              </span>
            ) : null}
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** A plain GET form: works from the keyboard and without JavaScript; results page like the folder. */
function SearchForm({ accountId, mailbox, q }: { accountId: string; mailbox: string; q: string | undefined }) {
  return (
    <form className="inline-form search" action="/inbox" method="get" role="search">
      <input type="hidden" name="account" value={accountId} />
      <input type="hidden" name="mailbox" value={mailbox} />
      <label className="inline">
        <span className="visually-hidden">Search this folder</span>
        <input type="search" name="q" defaultValue={q ?? ''} maxLength={200} placeholder="Search subject, sender or text" />
      </label>
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
