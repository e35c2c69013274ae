// Human-readable output of the `licensor-issuer` CLI (with --json the records are printed as
// they are instead).

import { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS } from '../domain/terms.js';
import type {
  Inspection,
  KeyRevocation,
  KeyUsage,
  LicenseDetail,
  SigningKeyUsage,
} from '../facade.js';
import type {
  ApprovalRequest,
  AuditEvent,
  Customer,
  License,
  SigningKeyRecord,
  VendorUser,
} from '../records.js';

export function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function seconds(value: number): string {
  return time(value * 1000);
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function formatKeys(keys: (SigningKeyRecord & Partial<SigningKeyUsage>)[]): string {
  return table([
    [
      'KID',
      'USE',
      'PRODUCT',
      'STATE',
      'PROTECTION',
      'SIGNED',
      'CREATED',
      'ACTIVATED',
      'RETIRED',
      'REVOKED',
    ],
    ...keys.map((k) => [
      k.kid,
      k.purpose,
      k.product ?? "(vendor's)",
      k.status,
      k.hsm === undefined ? k.protection : `pkcs11 (token ${k.hsm.token})`,
      k.purpose === 'status' || k.tokens === undefined
        ? '-'
        : `${k.tokens} tokens, ${k.licenses ?? 0} licenses`,
      time(k.createdAt),
      time(k.activatedAt),
      time(k.retiredAt),
      time(k.revokedAt),
    ]),
  ]);
}

/** Installations per key set version, newest first: who has picked up the new keys. */
export function formatKeysetTrust(usage: KeyUsage): string {
  const rows = [...usage.keysets]
    .reverse()
    .map((k) => [
      k.seq === 0
        ? '0 (shipped keys)'
        : `${k.seq}${k.seq === usage.newestKeyset ? ' (newest)' : ''}`,
      time(k.publishedAt),
      String(k.installations),
    ]);
  return (
    `\n${usage.installationsOnNewest} of ${usage.installationsReporting} reporting installations trust key set version ${usage.newestKeyset}, the newest (format 1 SDKs report none):\n` +
    table([['KEY SET', 'PUBLISHED', 'INSTALLATIONS'], ...rows])
  );
}

export function formatRevocation(revocation: KeyRevocation): string {
  const { key, dependents } = revocation;
  const head = `revoked ${key.kid} (${key.purpose}): the next key set drops it, and installations that pick it up trust it no more\n`;
  if (dependents.length === 0) return `${head}no license depends on it\n`;
  return `${head}${dependents.length} license(s) may still hold a token it signed:\n${table([
    ['LICENSE', 'CUSTOMER', 'MODEL', 'INSTALLATION', 'LAST CHECK', 'HOW IT GETS A NEW TOKEN'],
    ...dependents.map((d) => [
      d.licenseId,
      d.customerName,
      d.model,
      d.installationId ?? '-',
      time(d.lastCheckAt),
      d.remedy === 'online'
        ? 'checks online, newer token not applied: Verify License there as a System Administrator'
        : 'the customer sends a challenge; issue it',
    ]),
  ])}`;
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
      l.term === null ? '-' : seconds(l.term.end),
    ]),
  ]);
}

export function formatLicense(detail: LicenseDetail): string {
  const { license } = detail;
  const lines = [
    `License ID:            ${license.id}`,
    `Customer:              ${license.customerName} (${license.customerId})`,
    `Type:                  ${license.model}`,
    `Number of credentials: ${license.credentials}`,
    `State:                 ${license.state}${license.stateReason ? ` (${license.stateReason})` : ''}`,
    `Revision:              ${license.revision}`,
    `Term:                  ${license.term === null ? '-' : `${seconds(license.term.start)} to ${seconds(license.term.end)}, grace ${license.term.grace / 86_400} days`}`,
    `Installation:          ${license.installationId ?? '-'}`,
    `Last seen:             ${detail.installation === null ? '-' : time(detail.installation.lastSeenAt)}`,
    // What the service answered (and signed); the installation applies it only if it verifies it.
    `Last check:            ${detail.lastCheck === null ? '-' : `${time(detail.lastCheck.at)}, answered ${detail.lastCheck.outcome ?? '(not recorded)'}`}`,
    '',
    'Transactions:',
    table([
      ['  ID', 'KIND', 'AT', 'BY', 'REV'],
      ...detail.transactions.map((t) => [
        `  ${t.id}`,
        t.kind,
        time(t.at),
        t.operator,
        t.revision === null ? '-' : String(t.revision),
      ]),
    ]).trimEnd(),
  ];
  if (detail.requests.length > 0)
    lines.push('', 'Requests:', formatRequests(detail.requests).trimEnd());
  return `${lines.join('\n')}\n`;
}

export function formatRequests(requests: ApprovalRequest[]): string {
  if (requests.length === 0) return 'no requests\n';
  return table([
    ['REQUEST', 'KIND', 'STATUS', 'LICENSE', 'ASKED', 'CREATED'],
    ...requests.map((r) => [
      r.id,
      r.kind,
      r.status,
      r.licenseId,
      r.kind === 'model-switch'
        ? `model ${r.asked.model}`
        : `move to ${r.installationId.slice(0, 12)}…`,
      time(r.createdAt),
    ]),
  ]);
}

/** `command` is how this CLI was called (with its --data), so a printed hint runs as shown. */
export function formatInspection(inspection: Inspection, command = 'licensor-issuer'): string {
  const claimed = inspection.claimedLicense;
  const lines = [
    `Challenge:     ${inspection.challengeId} (made ${seconds(inspection.issuedAt)}, ${inspection.expired ? 'EXPIRED' : 'pending until'} ${seconds(inspection.expiresAt)})`,
    `Installation:  ${inspection.installationId}`,
    `Product:       ${inspection.product.name} ${inspection.product.version}`,
    `In use:        ${inspection.usage.credentialsInUse} credentials`,
    `Holds:         ${claimed === null ? 'no license' : `${claimed.id} rev ${claimed.revision} (${claimed.model}, ${claimed.customerName})`}`,
    `Asks for:      ${describeAsked(inspection)}`,
  ];
  if (inspection.findings.length > 0) {
    lines.push('', 'To know:', ...inspection.findings.map((f) => `  - ${f.message}`));
  }
  if (inspection.approvalRequest !== null) {
    const r = inspection.approvalRequest;
    // A switch to subscription starts a term: the line shows the terms it approves with.
    const terms =
      r.kind === 'model-switch' && r.asked.model === 'subscription'
        ? ` --term-days ${DEFAULT_TERM_DAYS} --grace-days ${DEFAULT_GRACE_DAYS}`
        : '';
    lines.push(
      '',
      `Needs approval: request ${r.id} (${r.kind}, ${r.status}): ${command} approve ${r.id}${terms}`,
    );
  }
  const t = inspection.suggestedTerms;
  // A new installation that names no customer: the vendor must name one (issue refuses "").
  const customer = t.customerName === '' ? 'NAME' : `"${t.customerName}"`;
  lines.push(
    '',
    `Suggested:     --customer ${customer} --credentials ${t.credentials} --model ${t.model}`,
  );
  if (t.customerName === '') {
    lines.push("               (the challenge names no customer: give the customer's name)");
  }
  return `${lines.join('\n')}\n`;
}

function describeAsked(inspection: Inspection): string {
  const asked = inspection.asked;
  const parts = [
    asked.kind === 'model-switch'
      ? `switch to ${asked.model}`
      : asked.model === undefined
        ? 'a license key'
        : `a ${asked.model} license key`,
  ];
  if (asked.credentials !== undefined) parts.push(`${asked.credentials} credentials`);
  if (asked.customerName !== undefined) parts.push(`customer "${asked.customerName}"`);
  return parts.join(', ');
}

export function formatCustomers(customers: Customer[]): string {
  if (customers.length === 0) return 'no customers\n';
  return table([
    ['CUSTOMER', 'NAME', 'UPDATED'],
    ...customers.map((c) => [c.id, c.name, time(c.updatedAt)]),
  ]);
}

export function formatUsers(users: VendorUser[]): string {
  if (users.length === 0) return 'no users\n';
  return table([
    ['USER', 'NAME', 'ROLE', 'STATE'],
    ...users.map((u) => [u.id, u.name, u.role, u.disabled ? 'disabled' : 'enabled']),
  ]);
}

export function formatAudit(events: AuditEvent[]): string {
  if (events.length === 0) return 'no events\n';
  return table([
    ['AT', 'ACTOR', 'ACTION', 'SUBJECT'],
    ...events.map((e) => [time(e.at), e.actor, e.action, e.subjectId ?? '-']),
  ]);
}
