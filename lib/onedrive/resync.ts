// Resync bookkeeping. After a 410, Graph's fresh enumeration lists everything still inside the
// linked folder; each page marks what it saw with the resync's generation, and whatever is left
// with an older mark at the end no longer exists there (deleted, or moved out, while our deltaLink
// was unusable) and is removed.
export interface SeenMark {
  itemId: string;
  seenGeneration: number;
}

export function unseenAfterResync(rows: Iterable<SeenMark>, generation: number): string[] {
  const unseen: string[] = [];
  for (const row of rows) if (row.seenGeneration < generation) unseen.push(row.itemId);
  return unseen;
}
