// The shapes the API answers, taken from the server's zod schemas (type-only imports: nothing
// of the server reaches the bundle). The SPA and the OpenAPI document share one source.
import type { z } from 'zod';
import type {
  InspectionSchema,
  IssueAnswerSchema,
  LicenseDetailSchema,
  SessionInfoSchema,
} from '../../src/server/api/schemas/answers.js';
import type {
  PlanChangeSchema,
  PlanSchema,
  ProductSchema,
} from '../../src/server/api/schemas/catalog.js';
import type {
  ApprovalRequestSchema,
  AuditEventSchema,
  CheckRecordSchema,
  CustomerSchema,
  KeyActivationSchema,
  KeyRevocationSchema,
  KeyUsageSchema,
  LicenseSchema,
  SigningKeySchema,
  TermsSchema,
  TransactionSchema,
  UserSchema,
} from '../../src/server/api/schemas/records.js';
import type { DashboardSchema, LicenseUsageSchema } from '../../src/server/api/schemas/usage.js';

/** The issuer's own unions, for Records that must name every member (type-only: erased). */
export type { FindingKind, TransactionKind } from '@licensor/issuer';
export type SessionInfo = z.output<typeof SessionInfoSchema>;
export type Role = SessionInfo['user']['role'];
export type Inspection = z.output<typeof InspectionSchema>;
export type IssueAnswer = z.output<typeof IssueAnswerSchema>;
export type LicenseDetail = z.output<typeof LicenseDetailSchema>;
export type License = z.output<typeof LicenseSchema>;
export type Customer = z.output<typeof CustomerSchema>;
export type Transaction = z.output<typeof TransactionSchema>;
export type ApprovalRequest = z.output<typeof ApprovalRequestSchema>;
export type CheckRecord = z.output<typeof CheckRecordSchema>;
export type SigningKey = z.output<typeof SigningKeySchema>;
export type KeyActivation = z.output<typeof KeyActivationSchema>;
export type KeyRevocation = z.output<typeof KeyRevocationSchema>;
export type KeyUsage = z.output<typeof KeyUsageSchema>;
export type User = z.output<typeof UserSchema>;
export type AuditEvent = z.output<typeof AuditEventSchema>;
export type Terms = z.input<typeof TermsSchema>;
export type Product = z.output<typeof ProductSchema>;
export type Plan = z.output<typeof PlanSchema>;
export type PlanChange = z.output<typeof PlanChangeSchema>;
export type LicenseUsage = z.output<typeof LicenseUsageSchema>;
export type Dashboard = z.output<typeof DashboardSchema>;
export interface ListOf<T> {
  items: T[];
}
/** A page of a long list; `nextCursor` asks for the next one (null: the last page). */
export interface PageOf<T> extends ListOf<T> {
  nextCursor: string | null;
}
