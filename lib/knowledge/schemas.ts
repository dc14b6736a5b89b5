// Request bodies of the knowledge routes (SPEC §4), for the route handlers to validate with.
import { z } from 'zod';

export const createKnowledgeBaseInput = z.object({
  name: z.string().trim().min(1).max(200),
});
export type CreateKnowledgeBaseInput = z.infer<typeof createKnowledgeBaseInput>;

export const linkOneDriveFolderInput = z.object({
  /** The caller's Microsoft mailbox credential whose account owns (or can read) the drive. */
  accountId: z.string().min(1).max(100),
  driveId: z.string().min(1).max(300),
  folderId: z.string().min(1).max(300),
  /** For display only: the sync tracks the folder by id, so renames upstream do not matter. */
  folderPath: z.string().max(2000).default(''),
  intervalMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
});
export type LinkOneDriveFolderInput = z.input<typeof linkOneDriveFolderInput>;
