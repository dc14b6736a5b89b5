import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import type { MessageDetail } from '@/lib/imap';
import { composeDefaults, getMessage, listAccounts } from '@/lib/mail';
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
  const replyAll = one(query.replyAll);
  const forward = one(query.forward);
  const uid = reply ?? replyAll ?? forward;
  const kind = reply ? 'reply' : replyAll ? 'replyAll' : forward ? 'forward' : null;
  const inbox = withQuery('/inbox', { account: accountId, mailbox });

  let original: MessageDetail | null = null;
  let defaults = { to: [] as Array<{ name: string; address: string }>, cc: [] as Array<{ name: string; address: string }>, subject: '' };
  if (uid && kind) {
    const loaded = await attempt(async () => {
      const [message, prefill] = await Promise.all([getMessage({ userId, accountId, uid, mailbox }), composeDefaults({ userId, accountId, uid, mailbox, kind })]);
      defaults = prefill;
      return message;
    });
    if (!loaded.ok) {
      return (
        <article className="card stack">
          <Link href={inbox}>← Back</Link>
          <Problem error={loaded.error} accountId={accountId} retryHref={withQuery(`/inbox/${accountId}/compose`, { mailbox, reply, replyAll, forward })} />
        </article>
      );
    }
    original = loaded.value;
  }
  const title = kind === 'reply' ? 'Reply' : kind === 'replyAll' ? 'Reply all' : kind === 'forward' ? 'Forward' : 'New message';
  const back = original ? withQuery(`/inbox/${encodeURIComponent(accountId)}/${original.uid}`, { mailbox }) : inbox;
  return (
    <article className="card stack">
      <Link href={back}>← Back</Link>
      <h1>{title}</h1>
      <ComposeForm
        sendApi={`/api/mail/accounts/${encodeURIComponent(accountId)}/send`}
        from={account.email}
        to={defaults.to.map(address).join(', ')}
        cc={defaults.cc.map(address).join(', ')}
        subject={defaults.subject}
        {...(original && kind ? { original: { kind: kind === 'forward' ? 'forward' : 'reply', mailbox, uid: original.uid } } : {})}
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
