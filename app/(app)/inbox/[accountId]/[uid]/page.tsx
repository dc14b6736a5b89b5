import type { Metadata } from 'next';
import Link from 'next/link';
import type { MailboxInfo, MessageDetail } from '@/lib/imap';
import { getMessage, listMailboxes } from '@/lib/mail';
import { attachmentHref, formatAddress, formatAddresses, formatSize, withQuery } from '../../../../_components/format';
import { LocalTime } from '../../../../_components/local-time';
import { MessageActions } from '../../../../_components/message-actions';
import { pageUserId } from '../../../../_components/page-user';
import { attempt, Problem } from '../../../../_components/problem';

export const metadata: Metadata = { title: 'Message' };

type Params = Promise<{ accountId: string; uid: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function MessagePage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const userId = await pageUserId();
  const [{ accountId, uid }, query] = await Promise.all([params, searchParams]);
  const mailbox = typeof query.mailbox === 'string' && query.mailbox !== '' ? query.mailbox : 'INBOX';
  const back = withQuery('/inbox', { account: accountId, mailbox });
  const [result, folders] = await Promise.all([
    attempt(() => getMessage({ userId, accountId, uid, mailbox })),
    attempt(() => listMailboxes({ userId, accountId })),
  ]);
  return (
    <article className="card stack">
      <Link href={back}>← Back to {mailbox === 'INBOX' ? 'Inbox' : mailbox}</Link>
      {query.sent === '1' ? (
        <p className="alert ok" role="status">
          Message sent.
        </p>
      ) : null}
      {result.ok ? <Message message={result.value} accountId={accountId} mailbox={mailbox} folders={folders.ok ? folders.value : []} back={back} /> : <Problem error={result.error} accountId={accountId} retryHref={withQuery(`/inbox/${accountId}/${uid}`, { mailbox })} />}
    </article>
  );
}

function Message({ message, accountId, mailbox, folders, back }: { message: MessageDetail; accountId: string; mailbox: string; folders: MailboxInfo[]; back: string }) {
  const trash = folders.find((f) => f.specialUse === '\\Trash');
  return (
    <>
      <header className="message-header">
        <h1>{message.subject || '(no subject)'}</h1>
        {message.flags.includes('\\Flagged') ? (
          <p>
            <span className="badge neutral">Flagged</span>
          </p>
        ) : null}
        <dl>
          <dt>From</dt>
          <dd>{formatAddress(message.from)}</dd>
          {message.to.length > 0 ? (
            <>
              <dt>To</dt>
              <dd>{formatAddresses(message.to)}</dd>
            </>
          ) : null}
          {message.cc.length > 0 ? (
            <>
              <dt>Cc</dt>
              <dd>{formatAddresses(message.cc)}</dd>
            </>
          ) : null}
          {message.date ? (
            <>
              <dt>Date</dt>
              <dd>
                <LocalTime iso={message.date} />
              </dd>
            </>
          ) : null}
        </dl>
      </header>
      <nav className="actions" aria-label="Respond">
        <Link className="button primary" href={withQuery(`/inbox/${encodeURIComponent(accountId)}/compose`, { reply: String(message.uid), mailbox })}>
          Reply
        </Link>
        <Link className="button" href={withQuery(`/inbox/${encodeURIComponent(accountId)}/compose`, { replyAll: String(message.uid), mailbox })}>
          Reply all
        </Link>
        <Link className="button" href={withQuery(`/inbox/${encodeURIComponent(accountId)}/compose`, { forward: String(message.uid), mailbox })}>
          Forward
        </Link>
      </nav>
      <MessageActions
        messageApi={`/api/mail/accounts/${encodeURIComponent(accountId)}/messages/${message.uid}`}
        mailbox={mailbox}
        flags={message.flags}
        folders={folders.filter((f) => f.path !== mailbox).map((f) => ({ path: f.path, label: f.path.toUpperCase() === 'INBOX' ? 'Inbox' : f.path }))}
        listHref={back}
        inTrash={trash?.path === mailbox}
      />
      {message.attachments.length > 0 ? (
        <section aria-labelledby="attachments-heading">
          <h2 id="attachments-heading">Attachments</h2>
          <ul className="attachments">
            {message.attachments.map((a) => (
              <li key={a.id}>
                {/* The server names the file (sanitized Content-Disposition); `download` keeps it a download. */}
                <a href={attachmentHref({ accountId, uid: message.uid, attachmentId: a.id, mailbox })} download>
                  {a.filename ?? '(unnamed)'}
                </a>{' '}
                <span className="muted">· {a.contentType} · {formatSize(a.size)}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <MessageBody message={message} />
    </>
  );
}

function MessageBody({ message }: { message: MessageDetail }) {
  if (message.html) {
    return (
      <>
        {/* Sanitized on the server, and still isolated: no scripts, no same-origin access; links open in a new tab. */}
        <iframe
          title="Message content"
          className="message-body"
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          referrerPolicy="no-referrer"
          srcDoc={htmlDocument(message.html)}
        />
        {message.text ? (
          <details>
            <summary>Plain text version</summary>
            <pre className="message-text">{message.text}</pre>
          </details>
        ) : null}
      </>
    );
  }
  return message.text ? <pre className="message-text">{message.text}</pre> : <p className="muted">This message has no text.</p>;
}

/** The sanitized HTML in a document whose CSP also blocks any remote load the sanitizer missed. */
function htmlDocument(html: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:">` +
    '<base target="_blank">' +
    '<style>body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:12px;color:#1b1c1f;background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>' +
    `</head><body>${html}</body></html>`
  );
}
