// The warnings of an inspection, each with the weight it deserves: a clone or a rollback must
// stop the reader; a new installation is only worth knowing.
import type { Inspection } from '../types';

const SERIOUS = new Set([
  'rehost',
  'revision-ahead',
  'license-revoked',
  'challenge-expired',
  'keyset-unknown',
]);
const CAUTION = new Set([
  'installation-bound-elsewhere',
  'revision-behind',
  'license-suspended',
  'license-unknown',
  'already-issued',
]);

const TITLES: Record<string, string> = {
  'new-installation': 'New installation',
  'installation-bound-elsewhere': 'Installation holds another license',
  rehost: 'Possible clone or move to another machine',
  'license-unknown': 'Unknown license',
  'revision-behind': 'Installation is behind',
  'revision-ahead': 'Installation claims a revision never issued',
  'license-suspended': 'License is suspended',
  'license-revoked': 'License is revoked',
  'model-switch': 'Model switch requested',
  'credentials-change': 'More or fewer credentials requested',
  'customer-name-change': 'Customer name change requested',
  'challenge-expired': 'Challenge has expired',
  'already-issued': 'Already issued',
  'keyset-behind': 'Installation trusts an older key set',
  'keyset-unknown': 'Installation names a key set never published',
};

export function toneOf(kind: string): 'error' | 'warning' | 'info' {
  if (SERIOUS.has(kind)) return 'error';
  if (CAUTION.has(kind)) return 'warning';
  return 'info';
}

export function Findings({ findings }: { findings: Inspection['findings'] }) {
  if (findings.length === 0) {
    return <p className="muted">No warnings: the challenge matches what the store knows.</p>;
  }
  const sorted = [...findings].sort((a, b) => rank(toneOf(a.kind)) - rank(toneOf(b.kind)));
  return (
    <ul className="findings" aria-label="Warnings">
      {sorted.map((finding) => (
        <li
          key={finding.kind + finding.message}
          className={`finding finding-${toneOf(finding.kind)}`}
        >
          <strong>{TITLES[finding.kind] ?? finding.kind}</strong>
          <span>{finding.message}</span>
        </li>
      ))}
    </ul>
  );
}

function rank(tone: string): number {
  return tone === 'error' ? 0 : tone === 'warning' ? 1 : 2;
}
