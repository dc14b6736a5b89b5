import type { MailAddress } from './types';

interface LooseAddress {
  name?: string | undefined;
  address?: string | undefined;
}

export function toAddress(a: LooseAddress | undefined): MailAddress | null {
  if (!a || (!a.address && !a.name)) return null;
  return { name: a.name ?? '', address: a.address ?? '' };
}

export function toAddressList(list: readonly LooseAddress[] | undefined): MailAddress[] {
  return (list ?? []).map(toAddress).filter((a): a is MailAddress => a !== null);
}

export function toIsoDate(...candidates: Array<Date | string | undefined>): string | null {
  for (const c of candidates) {
    if (c === undefined) continue;
    const d = c instanceof Date ? c : new Date(c);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  return null;
}
