// The audit trail: who did what, when, and whether it was allowed. Read newest last.
import { type Context, checkOptionKeys } from './context.js';
import { InputInvalidError, StateCorruptError } from './errors.js';
import { parseAuditEntry } from './store/audit-entry.js';
import type { AuditEntry } from './types.js';

export interface AuditQuery {
  /** Only the last `limit` entries. */
  limit?: number;
}

export async function readAudit(context: Context, query: AuditQuery = {}): Promise<AuditEntry[]> {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) {
    throw new InputInvalidError('The audit query must be an object: { limit? }, or left out.');
  }
  checkOptionKeys(query, ['limit'], 'audit');
  const limit = query.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InputInvalidError('limit must be a whole number of at least 0.');
  }
  // A store of the CMS's own may hand back anything; only entries of the SDK's shape are shown.
  const entries = (await context.store.loadAudit()).map((entry, index) => {
    const checked = parseAuditEntry(entry);
    if (checked === null) {
      throw new StateCorruptError(
        `Audit entry ${index + 1} from the store is not an audit entry. Restore the audit trail from a backup.`,
      );
    }
    return checked;
  });
  if (limit === undefined) return entries;
  return limit === 0 ? [] : entries.slice(-limit);
}
