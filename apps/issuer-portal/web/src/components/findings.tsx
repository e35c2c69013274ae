// The warnings of an inspection, each with the weight it deserves: a clone or a rollback must
// stop the reader; a new installation is only worth knowing.
import type { FindingKind, Inspection } from '../types';

type Tone = 'error' | 'warning' | 'info';

/**
 * Every kind the issuer can report, with its title and weight, in the order they are shown
 * (by weight, then as listed here). A Record over `FindingKind`, so
 * a kind added to the issuer fails the typecheck here until it has both.
 */
const KINDS: Record<FindingKind, { title: string; tone: Tone }> = {
  // Stop the reader: a copy or a clone (first of all), a rollback, a license not to answer.
  'possible-copy': { title: 'Possible copy of this installation', tone: 'error' },
  'fork-open': { title: 'Open fork: two copies check in', tone: 'error' },
  rehost: { title: 'Possible clone or move to another machine', tone: 'error' },
  'revision-ahead': { title: 'Installation claims a revision never issued', tone: 'error' },
  'license-revoked': { title: 'License is revoked', tone: 'error' },
  'challenge-expired': { title: 'Challenge has expired', tone: 'error' },
  'keyset-unknown': { title: 'Installation names a key set never published', tone: 'error' },
  // Worth a second look before issuing.
  'installation-bound-elsewhere': { title: 'Installation holds another license', tone: 'warning' },
  'revision-behind': { title: 'Installation is behind', tone: 'warning' },
  'license-suspended': { title: 'License is suspended', tone: 'warning' },
  'license-unknown': { title: 'Unknown license', tone: 'warning' },
  'already-issued': { title: 'Already issued', tone: 'warning' },
  'product-unknown': { title: 'Product not in the catalogue', tone: 'warning' },
  'product-not-covered': { title: 'The license does not cover this product', tone: 'warning' },
  'sdk-format-1': { title: 'Older SDK: its key carries no entitlements', tone: 'warning' },
  // Only worth knowing.
  'new-installation': { title: 'New installation', tone: 'info' },
  'model-switch': { title: 'Model switch requested', tone: 'info' },
  'credentials-change': { title: 'More or fewer credentials requested', tone: 'info' },
  'customer-name-change': { title: 'Customer name change requested', tone: 'info' },
  'existing-customer': { title: 'Goes to an existing customer', tone: 'info' },
  'features-asked': { title: 'Features requested', tone: 'info' },
  'limits-asked': { title: 'Limits requested', tone: 'info' },
  'keyset-behind': { title: 'Installation trusts an older key set', tone: 'info' },
};

const ORDER = Object.keys(KINDS);

/** The kind's entry; a kind this build does not know (a newer server) reads as info, last. */
function kindOf(kind: string): { title: string; tone: Tone } {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind as FindingKind] : { title: kind, tone: 'info' };
}

function position(kind: string): number {
  const at = ORDER.indexOf(kind);
  return at === -1 ? ORDER.length : at;
}

export function toneOf(kind: string): Tone {
  return kindOf(kind).tone;
}

export function Findings({ findings }: { findings: Inspection['findings'] }) {
  if (findings.length === 0) {
    return <p className="muted">No warnings: the challenge matches what the store knows.</p>;
  }
  const sorted = [...findings].sort(
    (a, b) => rank(toneOf(a.kind)) - rank(toneOf(b.kind)) || position(a.kind) - position(b.kind),
  );
  return (
    <ul className="findings" aria-label="Warnings">
      {sorted.map((finding) => (
        <li
          key={finding.kind + finding.message}
          className={`finding finding-${toneOf(finding.kind)}`}
        >
          <strong>{kindOf(finding.kind).title}</strong>
          <span>{finding.message}</span>
        </li>
      ))}
    </ul>
  );
}

function rank(tone: Tone): number {
  return tone === 'error' ? 0 : tone === 'warning' ? 1 : 2;
}
