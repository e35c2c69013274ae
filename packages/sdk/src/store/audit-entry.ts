// Shape check of one audit entry as it comes back from a store. The audit file is read by people
// and by the CLI's formatter, so an entry that is not exactly what the SDK writes is refused
// (ERR_STATE_CORRUPT) instead of crashing whoever prints it.
import type { AuditEntry, OperatorAction } from '../types.js';

const ACTIONS: ReadonlySet<OperatorAction> = new Set([
  'challenge',
  'apply',
  'activate',
  'verify',
  'view',
  'requests',
  'audit',
  'trust',
  'cancel',
]);
const OUTCOMES: ReadonlySet<AuditEntry['outcome']> = new Set(['ok', 'refused', 'failed']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTextOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** The entry if it has the shape the SDK writes, else null. */
export function parseAuditEntry(value: unknown): AuditEntry | null {
  if (!isRecord(value)) return null;
  const { at, operator, action, outcome, code, detail, trusted, prev, link } = value;
  if (!Number.isSafeInteger(at) || (at as number) < 0) return null;
  if (
    !isRecord(operator) ||
    typeof operator.id !== 'string' ||
    !isTextOrNull(operator.name) ||
    !Array.isArray(operator.roles) ||
    !operator.roles.every((role) => typeof role === 'string')
  ) {
    return null;
  }
  if (!ACTIONS.has(action as OperatorAction) || !OUTCOMES.has(outcome as AuditEntry['outcome']))
    return null;
  if (!isTextOrNull(code) || !isTextOrNull(detail)) return null;
  // Entries of an SDK before the audit chain have none of the three, or (read back through a
  // store, which gives every entry all three) all three null; a chained entry has a link.
  const chained = link !== undefined && link !== null;
  if (chained) {
    if (!Number.isSafeInteger(trusted) || (trusted as number) < 0) return null;
    if (!isTextOrNull(prev) || typeof link !== 'string') return null;
  } else if ((trusted !== undefined && trusted !== null) || (prev !== undefined && prev !== null)) {
    return null;
  }
  return {
    at: at as number,
    operator: { id: operator.id, name: operator.name, roles: [...operator.roles] as string[] },
    action: action as OperatorAction,
    outcome: outcome as AuditEntry['outcome'],
    code,
    detail,
    trusted: chained ? (trusted as number) : null,
    prev: chained ? (prev as string | null) : null,
    link: chained ? (link as string) : null,
  };
}
