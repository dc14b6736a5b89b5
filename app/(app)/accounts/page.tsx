import type { Metadata } from 'next';
import Link from 'next/link';
import { listAccounts, type AccountSummary } from '@/lib/mail';
import { AddImapForm } from '../../_components/add-imap-form';
import { DisconnectButton } from '../../_components/disconnect-button';
import { LocalTime } from '../../_components/local-time';
import { pageUserId } from '../../_components/page-user';

export const metadata: Metadata = { title: 'Mailboxes' };

const STATUS_LABEL: Record<AccountSummary['status'], string> = {
  active: 'Connected',
  needs_reauth: 'Needs reconnecting',
  error: 'Error',
};

export default async function AccountsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const userId = await pageUserId();
  const [accounts, query] = await Promise.all([listAccounts({ userId }), searchParams]);
  return (
    <div className="stack">
      <h1>Mailboxes</h1>
      {query.connect === 'declined' ? (
        <p className="alert warning" role="alert">
          The mailbox was not connected: Microsoft reported that access was declined.
        </p>
      ) : null}

      <section className="card" aria-labelledby="connected-heading">
        <h2 id="connected-heading">Connected mailboxes</h2>
        {accounts.length === 0 ? (
          <p className="empty">No mailboxes yet. Add a Microsoft mailbox or an IMAP mailbox below.</p>
        ) : (
          <ul className="account-list">
            {accounts.map((account) => (
              <AccountRow key={account.id} account={account} />
            ))}
          </ul>
        )}
      </section>

      <section className="card stack" aria-labelledby="add-microsoft-heading">
        <h2 id="add-microsoft-heading">Add a Microsoft 365 or Outlook mailbox</h2>
        <p className="muted">You will sign in with Microsoft and allow IMAP access. Mailbridge keeps the connection alive in the background.</p>
        <div className="actions">
          <a className="button primary" href="/api/mail/connect">
            Add Microsoft mailbox
          </a>
        </div>
      </section>

      <section className="card stack" aria-labelledby="add-imap-heading">
        <h2 id="add-imap-heading">Add an IMAP mailbox with a password</h2>
        <p className="muted">For other providers. The password is checked against the server first, then stored encrypted.</p>
        <AddImapForm />
      </section>
    </div>
  );
}

function AccountRow({ account }: { account: AccountSummary }) {
  const microsoft = account.authType === 'oauth2';
  return (
    <li>
      <div>
        <div className="address">{account.email}</div>
        <div className="meta">
          {microsoft ? 'Microsoft 365 / Outlook' : 'IMAP with password'}
          {microsoft && account.lastRefreshAt ? (
            <>
              {' · token refreshed '}
              <LocalTime iso={account.lastRefreshAt} />
            </>
          ) : null}
        </div>
      </div>
      <span className={`badge ${account.status}`}>{STATUS_LABEL[account.status]}</span>
      <div className="actions">
        {account.status === 'active' ? (
          <Link className="button" href={`/inbox?account=${encodeURIComponent(account.id)}`}>
            Open inbox
          </Link>
        ) : null}
        {microsoft && account.status !== 'active' ? (
          <a className="button primary" href={`/api/mail/connect?account=${encodeURIComponent(account.id)}`}>
            Reconnect
          </a>
        ) : null}
        <DisconnectButton accountId={account.id} email={account.email} />
      </div>
    </li>
  );
}
