import type { KnowledgeFileView } from '@/lib/knowledge';
import { formatSize } from './format';
import { LocalTime } from './local-time';

/** The synced files of a knowledge base, by path. */
export function KnowledgeFiles({ files }: { files: KnowledgeFileView[] }) {
  if (files.length === 0) return <p className="empty">No files yet.</p>;
  return (
    <ul className="account-list">
      {files.slice(0, 500).map((f) => (
        <li key={f.itemId}>
          <span className="address">{f.path}</span>
          <span className="meta">
            {formatSize(f.size)}
            {f.lastModified ? (
              <>
                {' · '}
                <LocalTime iso={f.lastModified} />
              </>
            ) : null}
          </span>
        </li>
      ))}
      {files.length > 500 ? <li className="muted">…and {files.length - 500} more</li> : null}
    </ul>
  );
}
