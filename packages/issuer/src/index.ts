// @licensor/issuer: the vendor's issuing authority. One Issuer object over a store (SQLite or
// MongoDB) turns challenges into license keys and keeps the record of every license,
// installation and transaction. The verify service uses `@licensor/issuer/store` instead.

export {
  CATALOG_ERROR_CODES,
  NameTakenError,
  PlanInvalidError,
  PlanNotFoundError,
  ProductInvalidError,
  ProductNotCoveredError,
  ProductNotFoundError,
} from './catalog/errors.js';
export {
  AFFECTED_PAGE,
  AFFECTED_PAGE_MAX,
  type AffectedLicenses,
  type AffectedPage,
  type Bound,
  type CatalogApi,
  type CatalogProduct,
  type CatalogStatus,
  type CatalogStore,
  type CatalogWrite,
  type LicenseEntitlements,
  type Plan,
  type PlanChange,
  type PlanFeature,
  type PlanInput,
  type PlanLimit,
  type ProductInput,
} from './catalog/types.js';
export {
  AUDIT_HEAD_TYP,
  type AuditChainStatus,
  type AuditExport,
  type AuditHeadClaims,
  exportChunks,
} from './domain/audit.js';
export {
  AUTO_RENEW_OPERATOR,
  type AutoRenewJob,
  type AutoRenewJobOptions,
  startAutoRenew,
} from './domain/auto-renew.js';
export type {
  Dashboard,
  DashboardLicense,
  DashboardOptions,
  DashboardSection,
  ExpiringEntry,
  NearCapEntry,
  StoppedEntry,
} from './domain/dashboard.js';
export {
  DASHBOARD_DEFAULTS,
  DASHBOARD_LIMITS,
  type DashboardThreshold,
} from './domain/dashboard-limits.js';
export { openIssuer, recoverTransactions } from './domain/open-issuer.js';
export {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  TERMS_LIMITS,
  type TermsLimits,
} from './domain/terms-limits.js';
export { MIN_PASSWORD_LENGTH, ROLES } from './domain/users.js';
export {
  ApprovalRequiredError,
  ChallengeExpiredError,
  ChallengeUsedError,
  ConcurrentUpdateError,
  CustomerNotFoundError,
  InputInvalidError,
  InstallationLicensedError,
  ISSUER_ERROR_CODES,
  type IssuerErrorCode,
  KeyActiveError,
  KeyFileError,
  KeyNotFoundError,
  LastAdminError,
  LicenseNotFoundError,
  LicenseStateError,
  ModelSwitchNotApprovedError,
  NotInitialisedError,
  NotSubscriptionError,
  PassphraseRequiredError,
  PassphraseWrongError,
  PasswordWeakError,
  RequestDecidedError,
  RequestNotFoundError,
  SettingInvalidError,
  StoreCorruptError,
  StoreNotFoundError,
  StoreSchemaError,
  StoreUnavailableError,
  TermsInvalidError,
  UserExistsError,
  UserNotFoundError,
} from './errors.js';
export {
  CHECK_FAILURE_WINDOW_MS,
  checkFailureOf,
  UNKNOWN_INSTALLATION,
} from './events/check-failures.js';
export {
  checkFailedEvent,
  checkStoppedEvent,
  EventWatch,
  type EventWatchOptions,
  keysChangedEvent,
  nearCapEvent,
  nearCapThreshold,
  type WatchRound,
} from './events/event-watch.js';
export type {
  ApprovalResult,
  ApproveOptions,
  AutoRenewOptions,
  AutoRenewResult,
  EntitlementsInspection,
  Finding,
  FindingKind,
  InitResult,
  Inspection,
  IssueOptions,
  IssueResult,
  Issuer,
  IssuerOptions,
  KeyActivation,
  LicenseChange,
  LicenseDetail,
  NewKeyOptions,
  RenewOptions,
} from './facade.js';
export { HSM_ENV, type HsmConfig, hsmConfigFromEnv, hsmConfigured } from './keys/pkcs11/config.js';
export {
  HSM_ERROR_CODES,
  HsmConfigError,
  HsmDeviceError,
  HsmKeyMissingError,
  HsmModuleError,
  HsmPinError,
  HsmTokenMissingError,
} from './keys/pkcs11/errors.js';
export {
  createSoftHsm,
  type SoftHsm,
  softHsmModulePath,
  softHsmSkipReason,
  softHsmUnavailable,
} from './keys/pkcs11/softhsm.js';
export { openSecret, sealSecret } from './keys/seal.js';
export { activeLicenseSigner } from './keys/signers.js';
export { hashPassword, verifyPassword } from './passwords.js';
export type {
  ApprovalRequest,
  AuditEvent,
  CheckRecord,
  CheckView,
  Customer,
  HsmKeyLocation,
  Installation,
  KeyStatus,
  License,
  LicenseState,
  Operator,
  RejectRequestTransaction,
  RenameCustomerTransaction,
  RequestKind,
  RequestStatus,
  Role,
  SigningKeyRecord,
  StateTransaction,
  Term,
  Terms,
  TokenTransaction,
  Transaction,
  TransactionKind,
  VendorUser,
} from './records.js';
export {
  type AuditBreak,
  type AuditBreakProblem,
  type AuditChainHead,
  type ChainedAuditEvent,
  canonicalJson,
} from './store/audit-chain.js';
export {
  type ApiTokenRecord,
  type ApiTokenRole,
  type AutomationStore,
  type DeliveryOutcome,
  type DeliveryStatus,
  type OutboxEvent,
  type PortalSessionRecord,
  type ScanMark,
  WEBHOOK_EVENT_TYPES,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointPatch,
  type WebhookEventType,
  type WebhookStore,
} from './store/automation-port.js';
export {
  FORK_ACTIONS,
  type ForkAction,
  type ForkRecord,
  type ResolvedForkPolicy,
} from './store/chain-port.js';
export {
  DEFAULT_RETENTION_DAYS,
  type RetentionJob,
  type RetentionJobOptions,
  startCheckRetention,
} from './store/check-retention.js';
export {
  customerCursor,
  licenseCursor,
  licensePages,
  nextCursorOf,
  pageOfRows,
} from './store/cursors.js';
export type {
  CheckFailure,
  EventSourceStore,
  QuietInstallation,
} from './store/event-sources-port.js';
export {
  checkStoreSettings,
  DEFAULT_DATA_DIR,
  dataDirOf,
  type OpenStoreOptions,
  openStore,
} from './store/open-store.js';
export type {
  AccountStore,
  AuditFilter,
  AuditLog,
  CheckRetention,
  CheckStore,
  CommitOutcome,
  CustomerPage,
  DailyUsage,
  DayRange,
  EventSourcesPort,
  KeyStore,
  LastCheck,
  LedgerStore,
  LicenseFilter,
  LicenseLastCheck,
  LicensorStore,
  RequestFilter,
  RollUpOptions,
  RollUpResult,
  SealedSecret,
  SsoPort,
  StoredPrivateKey,
  StoreHandle,
  StoreOptions,
  TermEndKey,
  TransactionFilter,
  TwoFactorPort,
} from './store/ports.js';
export type { SsoIdentity, SsoLoginRecord, SsoStore } from './store/sso-port.js';
export { WRITE_STEPS, type WriteStep, type WriteStepHook } from './store/transaction-effects.js';
export type {
  StoredTotpSecret,
  TwoFactorPolicy,
  TwoFactorPolicyRecord,
  TwoFactorRecord,
  TwoFactorStore,
} from './store/two-factor-port.js';
export {
  deliveryIdOf,
  licenseSummary,
  newDelivery,
  webhookEventOfRequest,
  webhookEventOfTransaction,
} from './store/webhook-events.js';
