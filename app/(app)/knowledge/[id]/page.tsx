import type { Metadata } from 'next';
import Link from 'next/link';
import { getDb } from '@/lib/db';
import { getKnowledgeBase, listFiles, type KnowledgeBaseView, type OneDriveView } from '@/lib/knowledge';
import { listAccounts, type AccountSummary } from '@/lib/mail';
import { oneDriveReconnectUrl } from '@/lib/onedrive/reconnect';
import { ApiButton } from '../../../_components/api-button';
import { AutoRefresh } from '../../../_components/auto-refresh';
import { FolderPicker } from '../../../_components/folder-picker';
import { KnowledgeFiles } from '../../../_components/knowledge-files';
import { LocalTime } from '../../../_components/local-time';
import { pageUserId } from '../../../_components/page-user';

export const metadata: Metadata = { title: 'Knowledge base' };

const STATUS: Record<OneDriveView['status'], { label: string; badge: string }> = {
  idle: { label: 'Up to date', badge: 'active' },
  syncing: { label: 'Syncing…', badge: 'neutral' },
  error: { label: 'Sync failed', badge: 'error' },
  needs_reauth: { label: 'Needs reconnecting', badge: 'needs_reauth' },
};

export default async function KnowledgeBasePage({ params }: { params: Promise<{ id: string }> }) {
  const userId = await pageUserId();
  const { id } = await params;
  const db = await getDb();
  // getKnowledgeBase 404s (not found, or not the caller's) before anything else is shown.
  const kb = await getKnowledgeBase({ db, userId, knowledgeBaseId: id });
  const [files, accounts] = await Promise.all([listFiles({ db, userId, knowledgeBaseId: id }), listAccounts({ userId })]);
  const microsoft = accounts.filter((a) => a.authType === 'oauth2');
  return (
    <div className="stack">
      <Link href="/knowledge">← Knowledge bases</Link>
      <h1>{kb.name}</h1>
      {/* Polls while a sync runs or is due (after linking, after "Sync now"), until it has finished. */}
      <AutoRefresh active={syncInProgress(kb.onedrive)} />
      <section className="card stack" aria-labelledby="onedrive-heading">
        <h2 id="onedrive-heading">OneDrive</h2>
        {kb.onedrive ? <OneDriveStatus kb={kb} onedrive={kb.onedrive} accounts={microsoft} /> : <LinkFolder kb={kb} accounts={microsoft} />}
      </section>
      <section className="card" aria-labelledby="files-heading">
        <h2 id="files-heading">Files ({files.length})</h2>
        <KnowledgeFiles files={files} knowledgeBaseId={kb.id} />
      </section>
    </div>
  );
}

function OneDriveStatus({ kb, onedrive, accounts }: { kb: KnowledgeBaseView; onedrive: OneDriveView; accounts: AccountSummary[] }) {
  const status = STATUS[onedrive.status];
  const base = `/api/knowledge/${encodeURIComponent(kb.id)}`;
  return (
    <>
      <p>
        <span className={`badge ${status.badge}`} role="status">
          {status.label}
        </span>{' '}
        Folder <strong>{onedrive.folderPath || '(linked folder)'}</strong> · {onedrive.fileCount} files
      </p>
      <p className="muted" aria-label="Automatic sync">
        Auto-sync every {onedrive.intervalMinutes} min
        {onedrive.lastSyncAt ? (
          <>
            {' · last synced '}
            <LocalTime iso={onedrive.lastSyncAt} />
          </>
        ) : (
          ' · not synced yet'
        )}
        {onedrive.status !== 'needs_reauth' ? (
          <>
            {' · next '}
            <LocalTime iso={onedrive.nextSyncAt} />
          </>
        ) : null}
        {onedrive.hasStoredToken ? ' · runs in the background, even while you are away' : ''}
      </p>
      {onedrive.error ? (
        <p className="alert warning" role="alert">
          Last sync problem: {onedrive.error}
        </p>
      ) : null}
      {onedrive.status === 'needs_reauth' || !onedrive.hasStoredToken ? (
        <p className="alert warning" role="alert">
          The Microsoft account behind this folder must be reconnected before syncing can continue.{' '}
          {accounts[0] ? <a href={oneDriveReconnectUrl(accounts[0].id, `/knowledge/${encodeURIComponent(kb.id)}`)}>Reconnect with OneDrive access</a> : null}
        </p>
      ) : null}
      <div className="actions">
        <ApiButton method="POST" href={`${base}/sync`} label="Sync now" busyLabel="Starting…" variant="primary" />
        <ApiButton method="DELETE" href={`${base}/onedrive`} label="Unlink folder" busyLabel="Unlinking…" variant="danger" confirm="Unlink this folder? Its synced files are removed from the knowledge base." />
      </div>
    </>
  );
}

function LinkFolder({ kb, accounts }: { kb: KnowledgeBaseView; accounts: AccountSummary[] }) {
  if (accounts.length === 0) {
    return (
      <p>
        Connect a Microsoft mailbox first: OneDrive folders are read with its account. <Link href="/accounts">Manage mailboxes</Link>
      </p>
    );
  }
  return (
    <>
      <p className="muted">Pick a folder to keep this knowledge base in sync with it. If the account has not allowed OneDrive access yet, you are asked once.</p>
      {/* Plain data only: this is a client component. */}
      <FolderPicker knowledgeBaseId={kb.id} accounts={accounts.map((a) => ({ id: a.id, email: a.email }))} returnTo={`/knowledge/${encodeURIComponent(kb.id)}`} />
    </>
  );
}

function syncInProgress(onedrive: OneDriveView | null): boolean {
  if (!onedrive) return false;
  if (onedrive.status === 'syncing') return true;
  return onedrive.status === 'idle' && (onedrive.lastSyncAt === null || Date.parse(onedrive.nextSyncAt) <= Date.now());
}
