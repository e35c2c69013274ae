// Human-readable output of the `licensor` CLI: the View License page as aligned lines, and the
// pending requests and audit trail as one line per entry.
import type {
  AuditEntry,
  AuditVerification,
  ClosedRequest,
  LicenseInfo,
  PendingRequest,
} from '../types.js';

export function time(seconds: number | null): string {
  return seconds === null ? '-' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${seconds} s`;
}

const REASONS: Record<NonNullable<LicenseInfo['stateReason']>, string> = {
  'clock-rollback': 'the local clock was set back: set it right, then run licensor verify',
  'not-started': 'the subscription term has not begun',
  'offline-grace': 'no online check succeeded within the grace period: run licensor verify',
  'term-ended': 'the subscription term and its grace period ended: renew it with the vendor',
  'vendor-expired': "the vendor's service answered EXPIRED: renew it with the vendor",
};

function lines(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return `${rows.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}${value}`).join('\n')}\n`;
}

export function describeRequest(request: PendingRequest): string {
  const asked = request.request;
  if (asked.kind === 'model-switch') return `switch to ${asked.model}`;
  const parts = [
    asked.credentials === undefined ? null : `${asked.credentials} credentials`,
    asked.model === undefined ? null : asked.model,
    asked.customerName === undefined ? null : `customer "${asked.customerName}"`,
  ].filter((part) => part !== null);
  return parts.length === 0 ? 'license' : `license: ${parts.join(', ')}`;
}

/** Plan, products, features and limits (license format 2), each with its own end if any. */
function entitlementRows(info: LicenseInfo): [string, string][] {
  const rows: [string, string][] = [];
  const ends = (until: number | null, active: boolean) =>
    until === null ? '' : active ? ` (until ${time(until)})` : ` (ended ${time(until)})`;
  if (info.plan !== null) rows.push(['Plan', info.plan]);
  if (info.products !== null) {
    const products = info.products.map((p) =>
      p.versions === undefined ? p.name : `${p.name} ${p.versions.join(', ')}`,
    );
    rows.push(['Products', products.join('; ')]);
  }
  if (info.licenseId !== null) {
    const features = info.features.map((f) => `${f.name}${ends(f.until, f.active)}`);
    rows.push(['Features', features.length === 0 ? '-' : features.join(', ')]);
    const limits = info.limits.map(
      (l) => `${l.name} ${l.active ? l.value : 0}${ends(l.until, l.active)}`,
    );
    rows.push(['Limits', limits.length === 0 ? '-' : limits.join(', ')]);
  }
  return rows;
}

/**
 * When the vendor signed the license in force and, when it differs, when it was applied here (the
 * seed page's View License reads this row as the time the license was applied to the system).
 */
function issueTimeText(info: LicenseInfo): string {
  if (info.appliedAt === null || info.appliedAt === info.issuedAt) return time(info.issuedAt);
  return `${time(info.issuedAt)} (applied here ${time(info.appliedAt)})`;
}

export function formatInfo(info: LicenseInfo): string {
  const rows: [string, string][] = [
    [
      'State',
      info.stateReason === null ? info.state : `${info.state} (${REASONS[info.stateReason]})`,
    ],
    ['Type', info.type ?? '-'],
    ['Customer', info.customer ?? '-'],
    ['License ID', info.licenseId ?? '-'],
    ['Revision', info.revision === null ? '-' : String(info.revision)],
    ['Number of credentials', info.credentials === null ? '-' : String(info.credentials)],
    ['License token issue time', issueTimeText(info)],
    ['Transaction ID', info.transactionId ?? '-'],
    ['Last verify time', info.lastVerifyTime === null ? 'never' : time(info.lastVerifyTime)],
    ['Last verify result', info.lastVerifyResult ?? '-'],
  ];
  rows.push(...entitlementRows(info));
  if (info.term !== null) {
    rows.push([
      'Subscription term',
      `${time(info.term.start)} to ${time(info.term.end)} (grace ${duration(info.term.grace)})`,
    ]);
    rows.push([
      'Usable until',
      info.usableUntil === null ? `not usable (${info.state})` : time(info.usableUntil),
    ]);
    if (info.checkBy !== null) rows.push(['Check online by', time(info.checkBy)]);
  }
  const attempt = info.lastCheckAttempt;
  if (attempt !== null && !attempt.ok) {
    rows.push([
      'Last check attempt',
      `failed at ${time(attempt.at)}: ${attempt.code}: ${attempt.message}`,
    ]);
  }
  if (info.pendingModelSwitch !== null)
    rows.push(['Model switch', `to ${info.pendingModelSwitch}, pending`]);
  rows.push(['Pending requests', String(info.pendingRequests.length)]);
  const latest = info.closedRequests[0];
  if (latest !== undefined) {
    rows.push([
      'Last closed request',
      `${describeRequest(latest)} (${latest.id}), ${closedText(latest)}`,
    ]);
  }
  rows.push(['Installation ID', info.installationId]);
  rows.push(['Product', `${info.product.name} ${info.product.version}`]);
  rows.push([
    'Vendor key set',
    info.keysetVersion === 0
      ? 'the keys shipped with the product'
      : `version ${info.keysetVersion}`,
  ]);
  if (info.clock.offsetText !== null) rows.push(['Clock offset', info.clock.offsetText]);
  if (info.forked) {
    rows.push([
      'Possible copy',
      "the vendor's service saw another copy of this installation (or an older backup of it) check in. If this server was restored from a backup, run licensor challenge and send it to the vendor to bind this installation again.",
    ]);
  }
  if (info.clock.rollbackDetected) {
    rows.push([
      'Clock',
      `WARNING: the local clock (${time(info.clock.local)}) is behind the latest time seen (${time(info.clock.highestSeen)}); rules use that time`,
    ]);
  }
  return lines(rows);
}

export function formatRequests(requests: PendingRequest[]): string {
  if (requests.length === 0) return 'No pending requests.\n';
  return requests
    .map(
      (request) =>
        `${request.id}  ${describeRequest(request)}  made ${time(request.createdAt)} by ${request.requestedBy}, expires ${time(request.expiresAt)}\n`,
    )
    .join('');
}

/** One line per closed request: what it asked, who closed it, when and why. */
export function formatClosedRequests(requests: ClosedRequest[]): string {
  if (requests.length === 0) return 'No closed requests.\n';
  return requests
    .map((request) => `${request.id}  ${describeRequest(request)}  ${closedText(request)}\n`)
    .join('');
}

export function closedText(request: ClosedRequest): string {
  const why = request.reason === null ? '' : `: ${request.reason}`;
  return request.outcome === 'rejected'
    ? `DECLINED by the vendor at ${time(request.closedAt)}${why}`
    : `cancelled by ${request.closedBy} at ${time(request.closedAt)}${why}`;
}

/**
 * Text from a stored record as a terminal may show it: control characters (an ESC that would
 * start a terminal escape, a line break that would forge a line) as `\u001b`-style escapes.
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding controls is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function formatAudit(entries: AuditEntry[]): string {
  if (entries.length === 0) return 'The audit trail is empty.\n';
  return entries
    .map((entry) => {
      const outcome = entry.code === null ? entry.outcome : `${entry.outcome} ${entry.code}`;
      const detail = entry.detail === null || entry.code !== null ? '' : `  ${entry.detail}`;
      // Every field is printed escaped: the trail may hold what a CMS passed before operators
      // were checked, or what was written into the file by hand.
      return `${time(entry.at)}  ${printable(`${entry.operator.id}  ${entry.action}  ${outcome}${detail}`)}\n`;
    })
    .join('');
}

export function formatAuditVerification(result: AuditVerification): string {
  const older =
    result.unchained === 0
      ? ''
      : ` (${result.unchained} written before the chain began, covered by its first link)`;
  if (result.firstBroken !== null) {
    return `The audit trail is broken at entry ${result.firstBroken.entry} of ${result.entries}: ${result.firstBroken.reason}\n`;
  }
  const after =
    result.unanchored === 0
      ? ''
      : ` ${result.unanchored} entries follow the last change the state recorded (reads and refusals since then, or a state restored from an older backup).`;
  const torn =
    result.torn.length === 0
      ? ''
      : ` ${result.torn.length === 1 ? 'Line' : 'Lines'} ${result.torn.join(', ')} of the file ${result.torn.length === 1 ? 'holds an entry' : 'hold entries'} cut short by a crash during ${result.torn.length === 1 ? 'its' : 'their'} append (kept, not counted, linked by none).`;
  return `The audit trail holds: ${result.entries} entries${older}, none deleted, edited, moved or added by hand.${after}${torn}\n`;
}
