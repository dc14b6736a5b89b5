'use client';

/** A timestamp in the reader's own time zone and locale (the server knows neither). */
export function LocalTime({ iso, style = 'medium' }: { iso: string | null; style?: 'short' | 'medium' }) {
  if (!iso) return null;
  const date = new Date(iso);
  const text =
    style === 'short' && sameDay(date, new Date())
      ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
      : date.toLocaleString(undefined, style === 'short' ? { dateStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <time dateTime={iso} title={date.toISOString()} suppressHydrationWarning>
      {text}
    </time>
  );
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}
