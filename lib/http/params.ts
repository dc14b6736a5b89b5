// Dynamic route segments. Their values are validated by the domain functions they are passed to
// (lib/mail, lib/knowledge); these schemas only give them a type.
import { z } from 'zod';

export const idParams = z.object({ id: z.string() });
export const messageParams = z.object({ id: z.string(), uid: z.string() });
export const attachmentParams = z.object({ id: z.string(), uid: z.string(), attachmentId: z.string() });
export const knowledgeFileParams = z.object({ id: z.string(), itemId: z.string() });

/** Reconnect targets and other ids taken from a query string. */
export const objectId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'not a valid id');

/**
 * Graph's drive and item ids: letters, digits and a few separators ("b!…", "D4648F06C91D9D3D!54927"),
 * never a path segment such as "..".
 */
export const graphId = z.string().regex(/^(?!\.+$)[A-Za-z0-9!_.,:=~+-]{1,300}$/, 'not a valid OneDrive id');
