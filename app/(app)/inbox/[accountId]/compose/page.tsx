import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { MessageDetail } from '@/lib/imap';
import { getMessage, listAccounts } from '@/lib/mail';
import { forwardSubject, replySubject } from '@/lib/smtp/compose';
import { ComposeForm } from '../../../../_components/compose-form';
import { formatAddress, withQuery } from '../../../../_components/format';
import { pageUserId } from '../../../../_components/page-user';
import { attempt, Problem } from '../../../../_components/problem';

export const metadata: Metadata = { title: 'New message' };

type Params = Promise<{ accountId: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

function address(a: { name: string; address: string }): string {
  return a.name ? `${a.name.replace(/[<>,;"]/g, '')} <${a.address}>` : a.address;
}

/** `/inbox/{accountId}/compose`, `?reply=<uid>&mailbox=…` or `?forward=<uid>&mailbox=…`. */
export default async function ComposePage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const userId = await pageUserId();
  const [{ accountId }, query] = await Promise.all([params, searchParams]);
  const account = (await listAccounts({ userId })).find((a) => a.id === accountId);
  if (!account) notFound();
  const mailbox = one(query.mailbox) ?? 'INBOX';
  const reply = one(query.reply);
  const forward = one(query.forward);
  const uid = reply ?? forward;
  const kind = reply ? 'reply' : forward ? 'forward' : null;
  const inbox = withQuery('/inbox', { account: accountId, mailbox });

  let original: MessageDetail | null = null;
  if (uid) {
    const loaded = await attempt(() => getMessage({ userId, accountId, uid, mailbox }));
    if (!loaded.ok) {
      return (
        <article className="card stack">
          <Link href={inbox}>← Back</Link>
          <Problem error={loaded.error} accountId={accountId} retryHref={withQuery(`/inbox/${accountId}/compose`, { mailbox, reply, forward })} />
        </article>
      );
    }
    original = loaded.value;
  }
  const title = kind === 'reply' ? 'Reply' : kind === 'forward' ? 'Forward' : 'New message';
  const back = original ? withQuery(`/inbox/${encodeURIComponent(accountId)}/${original.uid}`, { mailbox }) : inbox;
  return (
    <article className="card stack">
      <Link href={back}>← Back</Link>
      <h1>{title}</h1>
      <ComposeForm
        sendApi={`/api/mail/accounts/${encodeURIComponent(accountId)}/send`}
        from={account.email}
        to={kind === 'reply' && original?.from ? address(original.from) : ''}
        subject={original ? (kind === 'reply' ? replySubject(original.subject) : forwardSubject(original.subject)) : ''}
        {...(original && kind ? { original: { kind, mailbox, uid: original.uid } } : {})}
        doneHref={original ? withQuery(`/inbox/${encodeURIComponent(accountId)}/${original.uid}`, { mailbox, sent: '1' }) : withQuery('/inbox', { account: accountId, mailbox, sent: '1' })}
      />
      {original ? (
        <section aria-labelledby="original-heading">
          <h2 id="original-heading">Original message</h2>
          <p className="muted">
            From {formatAddress(original.from)} · {original.subject || '(no subject)'}
            {kind === 'forward' && original.attachments.length > 0 ? ` · ${original.attachments.length} attachment(s) included` : ''}
          </p>
          {original.text ? <pre className="message-text">{original.text}</pre> : null}
        </section>
      ) : null}
    </article>
  );
}
