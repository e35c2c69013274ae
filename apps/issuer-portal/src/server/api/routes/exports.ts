// Exports for spreadsheets and other systems: the licenses list with the list's filters, and the
// audit log for a time range, as CSV or JSON lines, streamed page by page.
import { type AuditEvent, type License, licensePages } from '@licensor/issuer';
import { z } from 'zod';
import { streamExport } from '../../export/stream.js';
import { defineRoute } from '../route.js';
import { LicenseFilterQuery, licenseFilterOf } from './licenses.js';

const PAGE = 500;
const Format = z.enum(['csv', 'jsonl']).default('csv').describe('csv (default) or jsonl.');
const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '' : new Date(ms).toISOString();
const isoSeconds = (s: number | undefined) => (s === undefined ? '' : iso(s * 1000));

const LICENSE_COLUMNS = {
  id: (l: License) => l.id,
  customerId: (l: License) => l.customerId,
  customerName: (l: License) => l.customerName,
  state: (l: License) => l.state,
  model: (l: License) => l.model,
  credentials: (l: License) => l.credentials,
  revision: (l: License) => l.revision,
  termStart: (l: License) => isoSeconds(l.term?.start),
  termEnd: (l: License) => isoSeconds(l.term?.end),
  graceDays: (l: License) => (l.term ? l.term.grace / 86_400 : ''),
  installationId: (l: License) => l.installationId,
  stateReason: (l: License) => l.stateReason,
  createdAt: (l: License) => iso(l.createdAt),
  updatedAt: (l: License) => iso(l.updatedAt),
};

export const exportLicenses = defineRoute({
  method: 'get',
  path: '/licenses/export',
  operationId: 'exportLicenses',
  summary:
    'Every license the list’s filters select, streamed as CSV (text/csv) or JSON lines ' +
    '(application/x-ndjson), newest change first.',
  tag: 'licenses',
  access: 'viewer',
  query: LicenseFilterQuery.extend({ format: Format }),
  response: z.string().describe('The file (CSV or JSON lines), not JSON.'),
  contentTypes: ['text/csv', 'application/x-ndjson'],
  async handle({ query, deps, res }) {
    const { format, ...filters } = query;
    const filter = licenseFilterOf(filters, deps.now());
    const pages = () => licensePages((f) => deps.issuer.listLicenses(f), filter, PAGE);
    await streamExport(res, {
      format,
      filename: 'licenses',
      columns: LICENSE_COLUMNS,
      json: (l) => l,
      pages: pages(),
    });
    return '';
  },
});

export const exportAudit = defineRoute({
  method: 'get',
  path: '/audit/export',
  operationId: 'exportAuditEvents',
  summary:
    'Audit events with from <= at < to, oldest first, streamed as CSV or JSON lines. ' +
    'Default range: everything up to now.',
  tag: 'audit',
  access: 'viewer',
  query: z
    .object({
      from: z.coerce.number().int().min(0).default(0).describe('Milliseconds since the epoch.'),
      to: z.coerce.number().int().min(0).optional().describe('Milliseconds; default now.'),
      format: Format,
    })
    .refine((q) => q.to === undefined || q.to > q.from, { message: 'to must be after from.' }),
  response: z.string().describe('The file (CSV or JSON lines), not JSON.'),
  contentTypes: ['text/csv', 'application/x-ndjson'],
  async handle({ query, deps, res }) {
    const to = query.to ?? deps.now() + 1;
    const { automation } = deps.issuer.store;
    async function* pages() {
      let after: { at: number; id: string } | null = null;
      for (;;) {
        const page: AuditEvent[] = await automation.listAuditRange(query.from, to, after, PAGE);
        if (page.length === 0) return;
        yield page;
        const last = page[page.length - 1]!;
        after = { at: last.at, id: last.id };
      }
    }
    await streamExport(res, {
      format: query.format,
      filename: 'audit',
      columns: {
        at: (e: AuditEvent) => iso(e.at),
        id: (e) => e.id,
        actor: (e) => e.actor,
        action: (e) => e.action,
        subjectId: (e) => e.subjectId,
        transactionId: (e) => e.transactionId,
        details: (e) => e.details,
      },
      json: (e) => e,
      pages: pages(),
    });
    return '';
  },
});
