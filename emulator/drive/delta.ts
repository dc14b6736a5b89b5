// Which items a delta enumeration of folder `scope` reports, as Graph does: the latest state of
// each item, not each change. An initial enumeration (since = null) lists the scope and everything
// below it. A later one lists items created, changed, deleted, moved out of or into the scope since
// sequence `since` — a folder that moved in brings its whole subtree, because those items are new to
// the scope — plus, unless the caller sent deltaExcludeParent, the ancestors of changed items.
// Renaming or moving a folder within the scope does not report its descendants (Graph says: track
// items by id). Parents come before children.
import type { DriveStore, ItemRecord } from './store';

export interface DeltaQuery {
  driveId: string;
  scope: ItemRecord;
  since: number | null;
  excludeParents: boolean;
}

export function deltaItemIds(store: DriveStore, query: DeltaQuery): string[] {
  const { driveId, scope, since } = query;
  const reported = new Map<string, ItemRecord>();
  for (const item of store.items.values()) {
    if (item.driveId !== driveId) continue;
    if (item.id === scope.id) {
      if (since === null || item.changeSeq > since) reported.set(item.id, item);
      continue;
    }
    const nowIn = store.inScopeAt(item, scope.id, Infinity);
    if (since === null) {
      if (nowIn) reported.set(item.id, item);
      continue;
    }
    const wasIn = store.inScopeAt(item, scope.id, since);
    if (nowIn ? !wasIn || item.changeSeq > since : wasIn) reported.set(item.id, item);
  }

  if (!query.excludeParents && since !== null) {
    for (const item of [...reported.values()]) {
      if (item.deletedSeq !== undefined || !store.inScopeAt(item, scope.id, Infinity)) continue;
      for (let p = item.parentId; p !== null; ) {
        const parent = store.items.get(p);
        if (!parent) break;
        reported.set(parent.id, parent);
        if (parent.id === scope.id) break;
        p = parent.parentId;
      }
    }
  }

  return [...reported.values()]
    .map((item) => ({ item, depth: store.depth(item) }))
    .sort((a, b) => a.depth - b.depth || a.item.createdSeq - b.item.createdSeq)
    .map((e) => e.item.id);
}
