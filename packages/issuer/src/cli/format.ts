// Human-readable output of `licensor-issuer` (the --json output is the objects themselves).
import type {
  ApprovalRequest,
  AuditEvent,
  Customer,
  Inspection,
  License,
  LicenseDetail,
  SigningKeyRecord,
  VendorUser,
} from '../types.js';

const time = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
const seconds = (s: number | null | undefined): string =>
  s === null || s === undefined ? '-' : new Date(s * 1000).toISOString();

function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}

export function formatKeys(keys: SigningKeyRecord[]): string {
  if (keys.length === 0) return 'no signing keys: run `licensor-issuer init`\n';
  return table([
    ['KID', 'PURPOSE', 'STATUS', 'PROTECTION', 'CREATED'],
    ...keys.map((k) => [k.kid, k.purpose, k.status, k.protection, time(k.createdAt)]),
  ]);
}

export function formatInspection(inspection: Inspection): string {
  const lines = [
    `challenge:        ${inspection.challengeId}${inspection.expired ? ' (EXPIRED)' : ''}`,
    `installation:     ${inspection.installationId}${inspection.installation ? '' : ' (new)'}`,
    `product:          ${inspection.product.name} ${inspection.product.version}`,
    `credentials used: ${inspection.usage.credentialsInUse}`,
    `license in force: ${inspection.claimedLicense ? `${inspection.claimedLicense.id} rev ${inspection.claimedLicense.revision} (${inspection.claimedLicense.model}, ${inspection.claimedLicense.customerName})` : 'none'}`,
    `asks for:         ${describeAsk(inspection.asked)}`,
    `made / expires:   ${seconds(inspection.issuedAt)} / ${seconds(inspection.expiresAt)}`,
  ];
  if (inspection.approvalRequest) {
    lines.push(`approval request: ${inspection.approvalRequest.id} (${inspection.approvalRequest.kind}, ${inspection.approvalRequest.status})`);
  }
  if (inspection.transaction) lines.push(`already answered: ${inspection.transaction.id}`);
  lines.push('findings:');
  for (const finding of inspection.findings) lines.push(`  - [${finding.kind}] ${finding.message}`);
  const t = inspection.suggestedTerms;
  lines.push(`suggested terms:  ${t.customerName || '?'}, ${t.model}, ${t.credentials} credentials`);
  return `${lines.join('\n')}\n`;
}

function describeAsk(asked: Inspection['asked']): string {
  const parts: string[] = [asked.kind];
  if (asked.credentials !== undefined) parts.push(`${asked.credentials} credentials`);
  if (asked.model !== undefined) parts.push(asked.model);
  if (asked.customerName !== undefined) parts.push(`customer "${asked.customerName}"`);
  return parts.join(', ');
}

export function formatLicenses(licenses: License[]): string {
  if (licenses.length === 0) return 'no licenses\n';
  return table([
    ['LICENSE', 'CUSTOMER', 'MODEL', 'CREDENTIALS', 'STATE', 'REV', 'TERM END'],
    ...licenses.map((l) => [
      l.id,
      l.customerName,
      l.model,
      String(l.credentials),
      l.state,
      String(l.revision),
      seconds(l.term?.end),
    ]),
  ]);
}

export function formatLicense(detail: LicenseDetail): string {
  const l = detail.license;
  const lines = [
    `license:      ${l.id}`,
    `customer:     ${l.customerName} (${l.customerId})`,
    `model:        ${l.model}`,
    `credentials:  ${l.credentials}`,
    `state:        ${l.state}${l.stateReason ? ` (${l.stateReason})` : ''}`,
    `revision:     ${l.revision}`,
    `term:         ${l.term ? `${seconds(l.term.start)} .. ${seconds(l.term.end)}, grace ${l.term.grace / 86_400} days` : '-'}`,
    `installation: ${l.installationId ?? '-'}`,
    `last check:   ${detail.lastCheck ? `${time(detail.lastCheck.at)} ${detail.lastCheck.outcome}` : '-'}`,
    'transactions:',
    ...detail.transactions.map(
      (t) => `  ${time(t.at)}  ${t.id}  ${t.kind}${t.revision ? ` rev ${t.revision}` : ''}  by ${t.operator}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function formatRequests(requests: ApprovalRequest[]): string {
  if (requests.length === 0) return 'no requests\n';
  return table([
    ['REQUEST', 'KIND', 'STATUS', 'LICENSE', 'ASKS FOR', 'CREATED'],
    ...requests.map((r) => [r.id, r.kind, r.status, r.licenseId, describeAsk(r.asked), time(r.createdAt)]),
  ]);
}

export function formatCustomers(customers: Customer[]): string {
  if (customers.length === 0) return 'no customers\n';
  return table([['CUSTOMER', 'NAME', 'CREATED'], ...customers.map((c) => [c.id, c.name, time(c.createdAt)])]);
}

export function formatUsers(users: VendorUser[]): string {
  if (users.length === 0) return 'no users\n';
  return table([
    ['USER', 'ROLE', 'DISABLED', 'CREATED'],
    ...users.map((u) => [u.name, u.role, u.disabled ? 'yes' : 'no', time(u.createdAt)]),
  ]);
}

export function formatAudit(events: AuditEvent[]): string {
  if (events.length === 0) return 'no audit events\n';
  return table([
    ['TIME', 'ACTOR', 'ACTION', 'SUBJECT'],
    ...events.map((e) => [time(e.at), e.actor, e.action, e.subjectId ?? '-']),
  ]);
}
