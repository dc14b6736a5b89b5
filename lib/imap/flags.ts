/** A message's flags as the API shows them: sorted, without \Recent (which belongs to one IMAP session, not to the message). */
export function messageFlags(flags: Iterable<string> | undefined): string[] {
  return [...(flags ?? [])].filter((flag) => flag !== '\\Recent').sort();
}
