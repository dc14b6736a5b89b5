import type { KnowledgeFileView } from '@/lib/knowledge';
import { formatSize } from './format';
import { LocalTime } from './local-time';

/** The content route of one synced file (SPEC §4). */
function contentHref(knowledgeBaseId: string, itemId: string): string {
  return `/api/knowledge/${encodeURIComponent(knowledgeBaseId)}/files/${encodeURIComponent(itemId)}/content`;
}

/** The synced files of a knowledge base, by path; each links to its content (a download). */
export function KnowledgeFiles({ files, knowledgeBaseId }: { files: KnowledgeFileView[]; knowledgeBaseId: string }) {
  if (files.length === 0) return <p className="empty">No files yet.</p>;
  return (
    <ul className="account-list">
      {files.slice(0, 500).map((f) => (
        <li key={f.itemId}>
          <span className="address">
            {f.state === undefined || f.state === 'synced' ? (
              <a href={contentHref(knowledgeBaseId, f.itemId)} download>
                {f.path}
              </a>
            ) : (
              f.path
            )}
          </span>
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
