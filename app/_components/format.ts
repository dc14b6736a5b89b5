import type { MailAddress } from '@/lib/imap';

export function formatAddress(a: MailAddress | null): string {
  if (!a) return '(unknown sender)';
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

export function displayName(a: MailAddress | null): string {
  if (!a) return '(unknown sender)';
  return a.name || a.address;
}

export function formatAddresses(list: MailAddress[]): string {
  return list.map(formatAddress).join(', ');
}

export function formatSize(bytes: number | null): string {
  if (bytes === null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Query strings for app links, dropping empty values. */
export function withQuery(path: string, query: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The download route of one attachment (SPEC §4). */
export function attachmentHref(options: { accountId: string; uid: number; attachmentId: string; mailbox: string }): string {
  const { accountId, uid, attachmentId, mailbox } = options;
  return withQuery(`/api/mail/accounts/${encodeURIComponent(accountId)}/messages/${uid}/attachments/${encodeURIComponent(attachmentId)}`, { mailbox });
}
