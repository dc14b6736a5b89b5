// The picker's paging cursor: Graph's @odata.nextLink for a folder's children, wrapped opaquely.
// A cursor comes back from a browser, so before it is ever fetched (with the account's bearer
// token) it must name the configured Graph origin and base path, the drive being browsed, and a
// children listing (of the item asked for, when one was). Anything else is a 400. Pure.
import { invalidRequest } from '../../errors';

const PREFIX = 'g1.';
const MAX_CURSOR_LENGTH = 6000;

export function encodeChildrenCursor(nextLink: string): string {
  return PREFIX + Buffer.from(nextLink, 'utf8').toString('base64url');
}

export interface DecodeChildrenCursorInput {
  cursor: string;
  /** MICROSOFT_GRAPH_URL, e.g. https://graph.microsoft.com/v1.0 */
  graphUrl: string;
  driveId: string;
  /** The folder being listed; absent for the drive's root. */
  itemId?: string | undefined;
}

/** The nextLink inside a cursor, verbatim, once it is known to be one this listing may follow. */
export function decodeChildrenCursor(input: DecodeChildrenCursorInput): string {
  const bad = () => invalidRequest('cursor: not a valid cursor for this folder');
  const { cursor } = input;
  if (cursor.length > MAX_CURSOR_LENGTH || !cursor.startsWith(PREFIX) || !/^[A-Za-z0-9_-]+$/.test(cursor.slice(PREFIX.length))) throw bad();
  const link = Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8');
  let url: URL;
  let base: URL;
  try {
    url = new URL(link);
    base = new URL(input.graphUrl.replace(/\/+$/, ''));
  } catch {
    throw bad();
  }
  if (url.origin !== base.origin || url.username !== '' || url.password !== '' || url.hash !== '') throw bad();
  const basePath = base.pathname.replace(/\/+$/, '');
  if (!url.pathname.startsWith(`${basePath}/`)) throw bad();
  const segments = url.pathname.slice(basePath.length + 1).split('/').map(decodeSegment);
  if (segments.some((s) => s === null)) throw bad();
  const [drives, driveId, ...rest] = segments as string[];
  if (drives !== 'drives' || driveId !== input.driveId) throw bad();
  const isRoot = rest.length === 2 && rest[0] === 'root' && rest[1] === 'children';
  const isItem = rest.length === 3 && rest[0] === 'items' && rest[2] === 'children';
  if (input.itemId === undefined ? !(isRoot || isItem) : !(isItem && rest[1] === input.itemId)) throw bad();
  return link;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
