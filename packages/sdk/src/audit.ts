// The audit trail: who did what, when, and whether it was allowed. Read newest last.
import type { Context } from './context.js';
import type { AuditEntry } from './types.js';

export interface AuditQuery {
  /** Only the last `limit` entries. */
  limit?: number;
}

export async function readAudit(context: Context, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const entries = await context.store.loadAudit();
  if (query.limit === undefined) return entries;
  return query.limit > 0 ? entries.slice(-query.limit) : [];
}
