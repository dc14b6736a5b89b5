// Acting on one message: flags, move, delete. Parameters and body are checked before the mailbox
// is looked up (a malformed request is a 400 whoever's mailbox it names); ownership is part of
// the lookup (another user's mailbox is not found).
import { z } from 'zod';
import { mailboxSchema, parseGetMessageParams, type RawGetMessageParams } from '../imap/params';
import type { MoveResult } from '../imap/types';
import { findUsableAccount } from './accounts';
import { resolveContext, type MailContext } from './context';

export const messageFlagsInput = z
  .object({ seen: z.boolean().optional(), flagged: z.boolean().optional() })
  .strict()
  .refine((v) => v.seen !== undefined || v.flagged !== undefined, 'give "seen" or "flagged"');
export type MessageFlagsInput = z.infer<typeof messageFlagsInput>;

export const moveMessageInput = z.object({ to: mailboxSchema }).strict();
export type MoveMessageInput = z.infer<typeof moveMessageInput>;

type Target = RawGetMessageParams & { userId: string; accountId: string; ctx?: MailContext };

/** Sets or clears seen / flagged; the message's flags afterwards. */
export async function updateMessageFlags(options: Target & { input: MessageFlagsInput }): Promise<{ flags: string[] }> {
  const params = parseGetMessageParams(options);
  const change = messageFlagsInput.parse(options.input);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return { flags: await ctx.imap.setMessageFlags(account, { ...params, change }) };
}

/** Moves the message to another folder of the same account. */
export async function moveMessage(options: Target & { input: MoveMessageInput }): Promise<MoveResult> {
  const params = parseGetMessageParams(options);
  const { to } = moveMessageInput.parse(options.input);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return ctx.imap.moveMessage(account, { ...params, to });
}

/** To the account's Trash; from Trash itself, for good. */
export async function deleteMessage(options: Target): Promise<{ expunged: boolean }> {
  const params = parseGetMessageParams(options);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  return ctx.imap.deleteMessage(account, params);
}
