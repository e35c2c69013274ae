// The public entry: createLicensor() binds a store, the vendor's trusted keys and the product,
// and returns one object whose methods are the buttons of the CMS license page. Each operator
// method checks the operator, asks the authorisation hook, runs alone and is audited.
import type { LicenseModel } from '@licensor/token';
import { applyLicenseKey } from './apply.js';
import { type AuditQuery, readAudit } from './audit.js';
import { verifyAuditTrail } from './audit-chain.js';
import { defaultAuthorize } from './authorize.js';
import { assertCapacity, capacityOf } from './capacity.js';
import { type LicensorOptions, resolveContext } from './context.js';
import { type ChallengeOptions, createChallenge } from './create-challenge.js';
import { assertLimit, hasFeature, limitCapacityOf, limitOf } from './entitlements.js';
import { describeLicense, pendingRequests } from './info.js';
import { runOperation, runStagedOperation } from './operation.js';
import { type ModelSwitchOptions, requestModelSwitch } from './request-model-switch.js';
import { cancelRequest, describeClosed } from './requests.js';
import { loadSnapshot, observeClock } from './snapshot.js';
import { applyKeysets, auditDetail, type TrustInfo, type TrustResult, trustInfo } from './trust.js';
import type {
  ApplyResult,
  AuditEntry,
  AuditVerification,
  Capacity,
  ChallengeResult,
  ClosedRequest,
  LicenseInfo,
  Operator,
  PendingRequest,
  VerifyResult,
} from './types.js';
import { prepareCheck, recordCheck, sendCheck, type VerifyOptions } from './verify-online.js';

export interface Licensor {
  /** The installation id (thumbprint of its key); makes the key on first use. */
  installationId(): Promise<string>;
  /** Get challenge. */
  createChallenge(operator: Operator, options?: ChallengeOptions): Promise<ChallengeResult>;
  /** Upgrade: apply a license key as pasted. */
  applyLicenseKey(operator: Operator, key: string): Promise<ApplyResult>;
  /**
   * Applies the vendor's signed key set(s) as pasted (offline delivery): each version verified
   * against the keys trusted now, newer than the one held, and keeping the keys the license in
   * force and the stored statuses depend on. All or nothing; audited as `trust`.
   */
  applyKeysets(operator: Operator, pasted: string): Promise<TrustResult>;
  /** The vendor key set version trusted and its keys. */
  getTrust(operator: Operator): Promise<TrustInfo>;
  /** View License. */
  getLicenseInfo(operator: Operator): Promise<LicenseInfo>;
  /**
   * Verify License: the online check. Any operator allowed 'verify' records the status and
   * the vendor key sets it relays; a license revision it delivers is applied only for an
   * operator also allowed 'apply' (else deliveredTokenRefused says ERR_NOT_AUTHORIZED).
   */
  verifyOnline(operator: Operator, options?: VerifyOptions): Promise<VerifyResult>;
  /** Activate: ask to switch between perpetual and subscription. */
  requestModelSwitch(
    operator: Operator,
    target: LicenseModel,
    options?: ModelSwitchOptions,
  ): Promise<ChallengeResult>;
  listPendingRequests(operator: Operator): Promise<PendingRequest[]>;
  /**
   * Withdraws a pending request here (its challenge is no longer held, so a key the vendor
   * sends for it is refused). ERR_REQUEST_UNKNOWN when no pending request has that id.
   */
  cancelRequest(operator: Operator, requestId: string, reason?: string): Promise<ClosedRequest>;
  /** Requests closed without a key (declined by the vendor, cancelled here), newest first. */
  listClosedRequests(operator: Operator): Promise<ClosedRequest[]>;
  listAudit(operator: Operator, query?: AuditQuery): Promise<AuditEntry[]>;
  /**
   * Checks the audit trail's chain: names the first entry deleted, edited, moved or added by
   * hand, and a trail cut short. Never throws for a broken chain (it is the answer).
   */
  verifyAudit(operator: Operator): Promise<AuditVerification>;
  /** How many credentials may be managed now (no operator: the CMS asks it itself). */
  capacity(inUse: number): Promise<Capacity>;
  /** Throws ERR_CAPACITY_REACHED, ERR_NO_LICENSE, ERR_LICENSE_EXPIRED/REVOKED/SUSPENDED. */
  assertCanManage(inUse: number, adding?: number): Promise<void>;
  /** Whether the license in force grants a feature now (false when it is not usable). */
  hasFeature(name: string): Promise<boolean>;
  /**
   * A named limit's value now: null when the license has none, 0 after its own end or while the
   * license is not usable (expired, revoked, suspended; as hasFeature).
   */
  limit(name: string): Promise<number | null>;
  /** How many more of a named limit may be used now, with `inUse` in use. */
  limitCapacity(name: string, inUse: number): Promise<Capacity>;
  /** Throws the errors of assertCanManage, for a named limit. */
  assertWithinLimit(name: string, inUse: number, adding?: number): Promise<void>;
}

export function createLicensor(options: LicensorOptions): Licensor {
  const context = resolveContext(options, defaultAuthorize);
  const snapshot = () => loadSnapshot(context);
  const info = async () => {
    const current = await snapshot();
    return describeLicense(context, current, await observeClock(context, current));
  };

  return {
    installationId: async () => (await snapshot()).installationId,

    createChallenge: (operator, challengeOptions) =>
      runOperation(context, operator, 'challenge', async () => {
        const result = await createChallenge(context, await snapshot(), operator, challengeOptions);
        return { result, detail: `challenge ${result.request.id}` };
      }),

    applyLicenseKey: (operator, key) =>
      runOperation(context, operator, 'apply', async () => {
        const result = await applyLicenseKey(context, await snapshot(), key);
        const keyset =
          result.keysetVersion === null ? '' : `, key set version ${result.keysetVersion}`;
        return {
          result,
          detail: `license ${result.licenseId} revision ${result.revision}, transaction ${result.transactionId}${keyset}`,
        };
      }),

    applyKeysets: (operator, pasted) =>
      runOperation(context, operator, 'trust', async () => {
        const result = await applyKeysets(context, await snapshot(), pasted);
        return { result, detail: auditDetail(result) };
      }),

    getTrust: (operator) =>
      runOperation(
        context,
        operator,
        'view',
        async () => ({ result: trustInfo(await snapshot()) }),
        'read',
      ),

    getLicenseInfo: (operator) =>
      runOperation(context, operator, 'view', async () => ({ result: await info() }), 'read'),

    verifyOnline: (operator, verifyOptions) => {
      // Anyone who may verify records the status, and the vendor's key set versions it relays
      // (signed by the vendor's license keys, chained from the keys trusted now: after a key
      // rotation the status itself may be signed by a key only they announce). A license
      // revision it delivers changes the license only for an operator who may apply one.
      let mayApply = false;
      return runStagedOperation(context, operator, 'verify', {
        prepare: async () => {
          mayApply = await context.authorize(operator, 'apply');
          return prepareCheck(context, await snapshot(), verifyOptions);
        },
        // No state lock is held while the service answers (up to the verify timeout).
        wait: (prepared) => sendCheck(context, prepared),
        finish: async (prepared, answer) => {
          const result = await recordCheck(context, await snapshot(), prepared, answer, mayApply);
          if (result.error !== null) return { result, failed: result.error };
          const keyset =
            result.keysetVersion !== null
              ? `, key set version ${result.keysetVersion}`
              : result.keysetRefused !== null
                ? `, key set refused: ${result.keysetRefused.code}`
                : '';
          // A revision the status delivered changed the license: the trail says so, as for apply.
          const applied =
            result.appliedRevision === null
              ? []
              : [
                  `applied revision ${result.appliedRevision} (${result.info.type}, ${result.info.credentials} credentials)`,
                ];
          const closed = result.rejectedRequests.map(describeClosed);
          return {
            result,
            detail: [`outcome ${result.outcome}${keyset}`, ...applied, ...closed].join('; '),
          };
        },
      });
    },

    requestModelSwitch: (operator, target, switchOptions) =>
      runOperation(context, operator, 'activate', async () => {
        const result = await requestModelSwitch(
          context,
          await snapshot(),
          operator,
          target,
          switchOptions,
        );
        return { result, detail: `switch to ${target}, challenge ${result.request.id}` };
      }),

    listPendingRequests: (operator) =>
      runOperation(
        context,
        operator,
        'requests',
        async () => {
          const current = await snapshot();
          return { result: pendingRequests(current, await observeClock(context, current)) };
        },
        'read',
      ),

    listClosedRequests: (operator) =>
      runOperation(
        context,
        operator,
        'requests',
        async () => ({ result: (await info()).closedRequests }),
        'read',
      ),

    cancelRequest: (operator, requestId, reason) =>
      runOperation(context, operator, 'cancel', async () => {
        const result = await cancelRequest(context, await snapshot(), operator, requestId, reason);
        return { result, detail: describeClosed(result) };
      }),

    listAudit: (operator, query) =>
      runOperation(
        context,
        operator,
        'audit',
        async () => ({
          result: await readAudit(context, query),
        }),
        'read',
      ),

    verifyAudit: (operator) =>
      runOperation(
        context,
        operator,
        'audit',
        async () => {
          const result = await verifyAuditTrail(context);
          return {
            result,
            detail: result.ok
              ? `verified ${result.entries} entries`
              : `chain broken at entry ${result.firstBroken?.entry}`,
          };
        },
        'read',
      ),

    capacity: async (inUse) => capacityOf(await info(), inUse),

    assertCanManage: async (inUse, adding = 1) => assertCapacity(await info(), inUse, adding),

    hasFeature: async (name) => hasFeature(await info(), name),

    limit: async (name) => limitOf(await info(), name),

    limitCapacity: async (name, inUse) => limitCapacityOf(await info(), name, inUse),

    assertWithinLimit: async (name, inUse, adding = 1) => {
      assertLimit(await info(), name, inUse, adding);
    },
  };
}
