// Requests the vendor declined, relayed to the installation that made them (status v2
// `rejected`, #16.14): a model switch the vendor rejects never reaches the CMS otherwise, which
// would show it pending until its challenge expires. Only the bound installation's own requests
// whose challenge has not expired, newest first, at most what a status carries; the vendor's
// reason on one line and cut to the status's bound (the full text stays in the vendor's records).
import {
  MAX_REJECTION_REASON_LENGTH,
  MAX_STATUS_REJECTIONS,
  type StatusRejection,
} from '@licensor/token';
import type { CheckView } from '../store-port.js';

export function rejectionsToRelay(
  view: CheckView,
  installationId: string,
  nowSeconds: number,
): StatusRejection[] {
  const relayed: StatusRejection[] = [];
  for (const declined of view.rejected ?? []) {
    if (relayed.length === MAX_STATUS_REJECTIONS) break;
    if (declined.installationId !== installationId || declined.expiresAt <= nowSeconds) continue;
    if (relayed.some((r) => r.chal === declined.challengeHash)) continue;
    relayed.push({
      chal: declined.challengeHash,
      at: Math.floor(declined.decidedAt / 1000),
      reason: oneLine(declined.reason),
    });
  }
  return relayed;
}

/** The reason as a status may carry it: one line, no outer spaces, at most the bound; or null. */
export function oneLine(reason: string | null): string | null {
  if (reason === null) return null;
  // Controls (C0, DEL, C1), line and paragraph separators, and lone surrogates become spaces.
  const flat = reason
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding controls is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (flat === '') return null;
  const chars = Array.from(flat);
  if (chars.length <= MAX_REJECTION_REASON_LENGTH && flat.length <= MAX_REJECTION_REASON_LENGTH) {
    return flat;
  }
  // Cut by code points (never between the halves of a pair) to fit in UTF-16 units.
  let cut = '';
  for (const char of chars) {
    if (cut.length + char.length > MAX_REJECTION_REASON_LENGTH - 1) break;
    cut += char;
  }
  return `${cut.trimEnd()}…`;
}
