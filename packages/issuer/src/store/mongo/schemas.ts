// Mongoose schemas of the MongoDB adapter. The unique indexes are what keeps the log in order
// without multi-document transactions: one transaction per challenge (`dedupeKey`), one per
// position in a license's log (`licenseSlot`) and per customer version (`customerSlot`).
// `autoIndex` is off: the store builds the indexes once, on open, and waits for them.

import { type Connection, Schema } from 'mongoose';
import { catalogModelsOf } from './mongo-catalog.js';
import { productKeyModelsOf } from './mongo-product-keys.js';

const { Mixed } = Schema.Types;
const options = { versionKey: false, autoIndex: false, strict: true, minimize: false } as const;

const transaction = new Schema(
  {
    _id: { type: String, required: true },
    dedupeKey: { type: String, required: true, unique: true },
    licenseSlot: { type: String, required: true, unique: true },
    customerSlot: { type: String, required: true, unique: true },
    kind: { type: String, required: true },
    at: { type: Number, required: true },
    operator: { type: String, required: true },
    licenseId: { type: String, default: null },
    customerId: { type: String, default: null },
    installationId: { type: String, default: null },
    seq: { type: Number, default: null },
    revision: { type: Number, default: null },
    challengeHash: { type: String, default: null },
    challengeId: { type: String, default: null },
    requestId: { type: String, default: null },
    terms: { type: Mixed, default: null },
    token: { type: String, default: null },
    kid: { type: String, default: null },
    reason: { type: String, default: null },
    licenseAfter: { type: Mixed, default: null },
    customerAfter: { type: Mixed, default: null },
    installationAfter: { type: Mixed, default: null },
    applied: { type: Boolean, required: true },
  },
  { ...options, collection: 'transactions' },
);
transaction.index({ licenseId: 1, at: -1 });
transaction.index({ customerId: 1, at: -1 });
transaction.index({ applied: 1 });

const license = new Schema(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    customerName: { type: String, required: true },
    state: { type: String, required: true },
    model: { type: String, required: true },
    credentials: { type: Number, required: true },
    revision: { type: Number, required: true },
    term: { type: Mixed, default: null },
    installationId: { type: String, default: null },
    installationKey: { type: Mixed, default: null },
    latestToken: { type: String, default: null },
    latestTransactionId: { type: String, required: true },
    stateReason: { type: String, default: null },
    seq: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    /** Plan and entitlements (catalog/types.ts); absent on licenses issued without. */
    entitlements: { type: Mixed },
  },
  { ...options, collection: 'licenses' },
);
license.index({ customerId: 1, updatedAt: -1 });
license.index({ installationId: 1 });
license.index({ updatedAt: -1 });
license.index({ state: 1, updatedAt: -1 });
license.index({ 'term.end': 1, updatedAt: -1 });
// The subscription.expiring scan: a window of term ends paged by (term end, id).
license.index({ 'term.end': 1, _id: 1 });
// A changed plan's affected licenses, a page after a cursor (listLicensesOfOlderPlanRevision).
license.index({ 'entitlements.plan.id': 1, 'entitlements.plan.revision': 1, _id: 1 });

const customer = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    version: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    /** The sort key of customers paged by name: ASCII letters folded (cursors.ts foldName). */
    nameKey: { type: String },
  },
  { ...options, collection: 'customers' },
);
customer.index({ name: 1 });
customer.index({ nameKey: 1, _id: 1 });

const installation = new Schema(
  {
    _id: { type: String, required: true },
    publicKey: { type: Mixed, required: true },
    product: { type: Mixed, required: true },
    firstSeenAt: { type: Number, required: true },
    lastSeenAt: { type: Number, required: true },
  },
  { ...options, collection: 'installations' },
);

const request = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    status: { type: String, required: true },
    licenseId: { type: String, required: true },
    installationId: { type: String, required: true },
    challenge: { type: String, required: true },
    challengeHash: { type: String, required: true, unique: true },
    asked: { type: Mixed, required: true },
    createdAt: { type: Number, required: true },
    createdBy: { type: String, required: true },
    decidedAt: { type: Number, default: null },
    decidedBy: { type: String, default: null },
    reason: { type: String, default: null },
    transactionId: { type: String, default: null },
  },
  { ...options, collection: 'requests' },
);
request.index({ status: 1, createdAt: -1 });
request.index({ licenseId: 1, createdAt: -1 });

const check = new Schema(
  {
    _id: { type: String, required: true },
    at: { type: Number, required: true },
    licenseId: { type: String, required: true },
    installationId: { type: String, required: true },
    sdkVersion: { type: String, required: true },
    credentialsInUse: { type: Number, required: true },
    outcome: { type: String, required: true },
  },
  { ...options, collection: 'checks' },
);
check.index({ licenseId: 1, at: -1 });
check.index({ at: 1 });

/** One license's checks on one UTC day, kept after its raw records are dropped (`licenseId day`). */
const checkDay = new Schema(
  {
    _id: { type: String, required: true },
    licenseId: { type: String, required: true },
    day: { type: Number, required: true },
    checks: { type: Number, required: true },
    outcomes: { type: Mixed, required: true },
    usageMin: { type: Number, required: true },
    usageMax: { type: Number, required: true },
    usageLast: { type: Number, required: true },
    lastAt: { type: Number, required: true },
    /** Outcome of the day's last check (absent in roll-ups written before it was kept). */
    lastOutcome: { type: String, default: null },
  },
  { ...options, collection: 'check_days' },
);
checkDay.index({ licenseId: 1, day: 1 });

const auditEvent = new Schema(
  {
    _id: { type: String, required: true },
    at: { type: Number, required: true },
    actor: { type: String, required: true },
    action: { type: String, required: true },
    subjectId: { type: String, default: null },
    transactionId: { type: String, default: null },
    details: { type: Mixed, required: true },
    /** The hash chain (store/audit-chain.ts); absent on entries written before it. */
    seq: { type: Number },
    prev: { type: String, default: undefined },
    hash: { type: String },
  },
  { ...options, collection: 'audit_events' },
);
auditEvent.index({ at: -1 });
// One entry per position of the chain; entries written before the chain have no seq.
auditEvent.index({ seq: 1 }, { unique: true, sparse: true });
auditEvent.index({ subjectId: 1, at: -1 });
auditEvent.index({ action: 1, at: -1 });
auditEvent.index({ actor: 1, at: -1 });

const signingKey = new Schema(
  {
    _id: { type: String, required: true },
    purpose: { type: String, required: true, enum: ['license', 'status'] },
    publicKey: { type: Mixed, required: true },
    protection: { type: String, required: true, enum: ['encrypted', 'file', 'pkcs11'] },
    sealed: { type: Mixed, default: null },
    /** Keys in an HSM: { token, label }; the private half is not in the store. */
    hsm: { type: Mixed, default: null },
    createdAt: { type: Number, required: true },
    retiredAt: { type: Number, default: null },
    /** null on keys stored before key states: derived by key-status.ts. */
    state: { type: String, default: null, enum: [null, 'next', 'active', 'retired', 'revoked'] },
    activatedAt: { type: Number, default: null },
    revokedAt: { type: Number, default: null },
    /** A license key of one product (#12.1): its catalogue id; absent on the vendor's own keys. */
    productId: { type: String },
  },
  { ...options, collection: 'signing_keys' },
);

/** One version of the signed key set; `_id` is its version number. */
const keyset = new Schema(
  {
    _id: { type: Number, required: true },
    token: { type: String, required: true },
    signedBy: { type: String, required: true },
    kids: { type: [String], required: true },
    createdAt: { type: Number, required: true },
  },
  { ...options, collection: 'keysets' },
);
signingKey.index({ purpose: 1, createdAt: -1 });

const user = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    /** Lower-cased name: names are unique regardless of case, as on SQLite. */
    nameKey: { type: String, required: true, unique: true },
    role: { type: String, required: true },
    disabled: { type: Boolean, required: true },
    passwordHash: { type: String, required: true },
    /** Set by someone else: the user replaces it at the next login (absent on older users). */
    passwordOneTime: { type: Boolean },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'users' },
);

/**
 * Import batches begun and not finished (mongo-import.ts): the transactions of each, stored
 * applied before their records; the next open hands them to the roll-forward. A few documents
 * at most (each is deleted when its batch is written).
 */
const importJournal = new Schema(
  {
    _id: { type: String, required: true },
    transactionIds: { type: [String], required: true },
    startedAt: { type: Number, required: true },
  },
  { ...options, collection: 'import_journal' },
);

export function modelsOf(connection: Connection) {
  return {
    transactions: connection.model('Transaction', transaction),
    licenses: connection.model('License', license),
    customers: connection.model('Customer', customer),
    installations: connection.model('Installation', installation),
    requests: connection.model('Request', request),
    checks: connection.model('Check', check),
    checkDays: connection.model('CheckDay', checkDay),
    auditEvents: connection.model('AuditEvent', auditEvent),
    signingKeys: connection.model('SigningKey', signingKey),
    keysets: connection.model('Keyset', keyset),
    users: connection.model('User', user),
    importJournal: connection.model('ImportJournal', importJournal),
    ...catalogModelsOf(connection),
    ...productKeyModelsOf(connection),
  };
}

export type MongoModels = ReturnType<typeof modelsOf>;
