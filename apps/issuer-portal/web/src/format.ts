// How times, ids and states read on screen.
// Times to the second, with the time zone named (the browser's own: "UTC", "CET", "GMT+2"),
// so that two checks a few seconds apart read apart and nobody guesses the zone.
const timeOfDay = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});
const dateOnly = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
});

/** A moment as its day and its time of day (to the second, with the zone), e.g. "28 Nov 2026" and "14:03:05 UTC". */
export function timeParts(ms: number): { date: string; time: string } {
  const at = new Date(ms);
  return { date: dateOnly.format(at), time: timeOfDay.format(at) };
}

/** "28 Nov 2026, 14:03:05 UTC" (the browser's locale and zone), or a dash for none. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const { date, time } = timeParts(ms);
  return `${date}, ${time}`;
}

export function formatDate(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : dateOnly.format(new Date(ms));
}

/** Claims use seconds. */
export function formatSeconds(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '—' : formatDate(seconds * 1000);
}

export function formatRelative(ms: number, now = Date.now()): string {
  const days = Math.round((ms - now) / 86_400_000);
  if (days === 0) return 'today';
  if (days > 0) return `in ${days} day${days === 1 ? '' : 's'}`;
  return `${-days} day${days === -1 ? '' : 's'} ago`;
}

/** Long ids shortened for tables; the full id is in the title attribute. */
export function shortId(id: string, keep = 14): string {
  return id.length <= keep + 1 ? id : `${id.slice(0, keep)}…`;
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
