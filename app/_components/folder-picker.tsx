'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';

// The OneDrive folder picker of a knowledge base: a Microsoft account, then one of its drives,
// then folders level by level (breadcrumbs to go back up, "More folders" for long folders), and
// the link itself. Every prop is plain data: server components render this.

export interface PickerAccount {
  id: string;
  email: string;
}

interface Drive {
  id: string;
  name: string;
  driveType: string;
}

interface Folder {
  id: string;
  name: string;
  isFolder: boolean;
  childCount: number;
  path: string | null;
}

interface Listing {
  items: Folder[];
  fileCount: number;
  nextCursor: string | null;
}

/** What went wrong, in words; `reconnectUrl` when Microsoft wants the account's consent first. */
interface Problem {
  message: string;
  reconnectUrl?: string;
}

type Answer<T> = { ok: true; value: T } | { ok: false; problem: Problem };

const DRIVE_TYPES: Record<string, string> = { personal: 'OneDrive', business: 'OneDrive for work or school', documentLibrary: 'Document library' };

async function call<T>(url: string, init?: RequestInit): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch {
    return { ok: false, problem: { message: 'The server could not be reached. Check your connection and try again.' } };
  }
  const body = (await response.json().catch(() => null)) as (T & { error?: { code?: string; message?: string; reconnectUrl?: string } }) | null;
  if (response.ok) return { ok: true, value: body as T };
  const error = body?.error;
  if (response.status === 401) return { ok: false, problem: { message: 'Your session has ended. Sign in again to continue.' } };
  // Only a path of this site is ever followed.
  const reconnectUrl = typeof error?.reconnectUrl === 'string' && /^\/(?![/\\])/.test(error.reconnectUrl) ? error.reconnectUrl : undefined;
  return {
    ok: false,
    problem: { message: error?.message ?? 'That did not work. Try again in a moment.', ...(reconnectUrl ? { reconnectUrl } : {}) },
  };
}

export function FolderPicker(props: { knowledgeBaseId: string; accounts: PickerAccount[]; returnTo: string }) {
  const router = useRouter();
  const [accountId, setAccountId] = useState(props.accounts[0]?.id ?? '');
  const [drives, setDrives] = useState<Drive[] | null>(null);
  const [drive, setDrive] = useState<Drive | null>(null);
  /** The folders opened below the drive's root, outermost first; the last one is the choice. */
  const [trail, setTrail] = useState<Folder[]>([]);
  const [listing, setListing] = useState<Listing | null>(null);
  const [loading, setLoading] = useState<'drives' | 'folders' | 'more' | 'link' | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [interval, setIntervalMinutes] = useState('60');
  const request = useRef(0);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const account = props.accounts.find((a) => a.id === accountId);
  const base = `/api/mail/accounts/${encodeURIComponent(accountId)}/onedrive`;
  const returnTo = `returnTo=${encodeURIComponent(props.returnTo)}`;
  const chosen = trail.at(-1) ?? null;

  const loadDrives = useCallback(async () => {
    const ticket = ++request.current;
    setLoading('drives');
    setProblem(null);
    setDrives(null);
    setDrive(null);
    setTrail([]);
    setListing(null);
    const answer = await call<Drive[]>(`${base}/drives?${returnTo}`);
    if (ticket !== request.current) return;
    setLoading(null);
    if (answer.ok) setDrives(answer.value);
    else setProblem(answer.problem);
  }, [base, returnTo]);

  useEffect(() => {
    if (accountId) void loadDrives();
  }, [accountId, loadDrives]);

  async function open(target: Drive, path: Folder[], cursor?: string) {
    const ticket = ++request.current;
    setLoading(cursor ? 'more' : 'folders');
    setProblem(null);
    const folder = path.at(-1);
    const query = new URLSearchParams({ driveId: target.id });
    if (folder) query.set('itemId', folder.id);
    if (cursor) query.set('cursor', cursor);
    const answer = await call<Listing>(`${base}/children?${query.toString()}&${returnTo}`);
    if (ticket !== request.current) return;
    setLoading(null);
    if (!answer.ok) {
      setProblem(answer.problem);
      return;
    }
    setDrive(target);
    setTrail(path);
    setListing((previous) =>
      cursor && previous
        ? { items: [...previous.items, ...answer.value.items], fileCount: previous.fileCount + answer.value.fileCount, nextCursor: answer.value.nextCursor }
        : answer.value,
    );
    // Keyboard users land on the new level, not back at the top of the page.
    if (!cursor) requestAnimationFrame(() => listHeading.current?.focus());
  }

  async function link(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!drive || !chosen) return;
    const minutes = Number(interval);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080) {
      setProblem({ message: 'Sync interval: a whole number of minutes from 1 to 10080.' });
      return;
    }
    setLoading('link');
    setProblem(null);
    const answer = await call<{ linkId: string }>(`/api/knowledge/${encodeURIComponent(props.knowledgeBaseId)}/onedrive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountId, driveId: drive.id, folderId: chosen.id, folderPath: chosen.path ?? `/${chosen.name}`, intervalMinutes: minutes }),
    });
    setLoading(null);
    if (!answer.ok) {
      setProblem(answer.problem);
      return;
    }
    router.refresh();
  }

  return (
    <div className="stack" aria-busy={loading !== null}>
      <label>
        Microsoft account
        <select
          value={accountId}
          onChange={(event) => {
            setAccountId(event.target.value);
          }}
        >
          {props.accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.email}
            </option>
          ))}
        </select>
      </label>

      {problem ? (
        <div className={`alert ${problem.reconnectUrl ? 'warning' : 'error'}`} role="alert">
          <p>{problem.message}</p>
          {problem.reconnectUrl ? (
            <a className="button primary" href={problem.reconnectUrl}>
              Allow OneDrive access{account ? ` for ${account.email}` : ''}
            </a>
          ) : null}
        </div>
      ) : null}

      {drive ? (
        <nav aria-label="Folder path">
          <ol className="breadcrumbs">
            <li>
              <button type="button" className="button link" onClick={() => void loadDrives()}>
                All drives
              </button>
            </li>
            <li>
              {trail.length === 0 ? (
                <span aria-current="location">{drive.name}</span>
              ) : (
                <button type="button" className="button link" onClick={() => void open(drive, [])}>
                  {drive.name}
                </button>
              )}
            </li>
            {trail.map((folder, i) => (
              <li key={folder.id}>
                {i === trail.length - 1 ? (
                  <span aria-current="location">{folder.name}</span>
                ) : (
                  <button type="button" className="button link" onClick={() => void open(drive, trail.slice(0, i + 1))}>
                    {folder.name}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </nav>
      ) : null}

      {!drive && drives ? (
        <section aria-labelledby="picker-drives">
          <h3 id="picker-drives">Choose a drive</h3>
          {drives.length === 0 ? (
            <p className="muted">This account has no OneDrive or document libraries it can read.</p>
          ) : (
            <ul className="picker-list">
              {drives.map((d) => (
                <li key={d.id}>
                  <button type="button" className="button" onClick={() => void open(d, [])} disabled={loading !== null}>
                    {d.name}
                  </button>{' '}
                  <span className="muted">{DRIVE_TYPES[d.driveType] ?? d.driveType}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}

      {drive && listing ? (
        <section aria-labelledby="picker-folders">
          <h3 id="picker-folders" ref={listHeading} tabIndex={-1}>
            Folders in {chosen ? chosen.name : drive.name}
          </h3>
          {listing.items.length === 0 && !listing.nextCursor ? <p className="muted">No folders here.</p> : null}
          <ul className="picker-list">
            {listing.items.map((folder) => (
              <li key={folder.id}>
                <button type="button" className="button" onClick={() => void open(drive, [...trail, folder])} disabled={loading !== null}>
                  Open {folder.name}
                </button>{' '}
                <span className="muted">
                  {folder.childCount} {folder.childCount === 1 ? 'item' : 'items'}
                </span>
              </li>
            ))}
          </ul>
          {listing.fileCount > 0 ? (
            <p className="muted">
              {listing.fileCount} {listing.fileCount === 1 ? 'file' : 'files'} here {chosen ? 'will be synced with this folder' : 'stay out of sync (pick a folder)'}.
            </p>
          ) : null}
          {listing.nextCursor ? (
            <button type="button" className="button" onClick={() => void open(drive, trail, listing.nextCursor!)} disabled={loading !== null}>
              {loading === 'more' ? 'Loading…' : 'More folders'}
            </button>
          ) : null}
        </section>
      ) : null}

      {loading === 'drives' || loading === 'folders' ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : null}

      <form className="grid" onSubmit={link}>
        <p style={{ gridColumn: '1 / -1' }} role="status" aria-label="Chosen folder">
          {chosen && drive ? (
            <>
              Chosen folder: <strong>{chosen.path ?? `/${chosen.name}`}</strong> in {drive.name}
            </>
          ) : (
            <span className="muted">Open a folder to choose it: its files (and those of its subfolders) are synced.</span>
          )}
        </p>
        <label>
          Sync every (minutes)
          <input name="intervalMinutes" type="number" min={1} max={10080} required value={interval} onChange={(event) => setIntervalMinutes(event.target.value)} />
        </label>
        <div className="actions">
          <button type="submit" className="button primary" disabled={!chosen || loading !== null} aria-busy={loading === 'link'}>
            {loading === 'link' ? 'Linking…' : 'Link folder and sync'}
          </button>
        </div>
      </form>
    </div>
  );
}
