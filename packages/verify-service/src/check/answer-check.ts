// The check itself, without HTTP: a compact check request in, a signed status out. One store
// read (usually from the cache), one signature verification, one signature. The three UNKNOWN
// cases (no such license, another installation, an installation the record does not know) take
// one path: the same answer shape, and a decoy verification so that it costs what a real one
// costs. The status is sent only once the check's nonce is durable in the shared store; a
// status that does not depend on the store's answer is signed while the nonce is written.

import {
  type CheckChainStore,
  type ForkAction,
  stepChain,
  UNKNOWN_INSTALLATION,
} from '@licensor/issuer/checks';
import {
  type CheckOutcome,
  type Ed25519KeyPair,
  MAX_STATUS_SKEW_SECONDS,
  newId,
  verifyDecodedCheck,
} from '@licensor/token';
import {
  CheckReplayedError,
  CheckTimeSkewError,
  RateLimitedError,
  storeUnavailable,
} from '../errors.js';
import type { RefusedCheck } from '../state/check-failures.js';
import type { RateLimiter } from '../state/rate-limiter.js';
import type { ReplayGuard } from '../state/replay-guard.js';
import { type ViewCache, withTimeout } from '../state/view-cache.js';
import type { CheckRecord } from '../store-port.js';
import { decideOutcome } from './decide-outcome.js';
import type { DecoyVerification } from './decoy-verification.js';
import { peekCheck } from './peek-check.js';
import { type SignedAnswer, signAnswer } from './sign-answer.js';

/**
 * Resolves once this turn of the event loop has run its pending immediates: on SQLite the check
 * writer's send of the group; on MongoDB (no writer turn) one hop more, harmless.
 */
function afterTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'ERR_INTERNAL';
}

export interface CheckAnswer {
  /** The compact status token. */
  status: string;
  outcome: CheckOutcome;
  licenseId: string;
  installationId: string;
}

export interface AnswerCheckDeps {
  views: ViewCache;
  replay: ReplayGuard;
  perInstallation: RateLimiter;
  record: (record: CheckRecord) => void;
  /** The active status key (it may change: keys are reloaded after a rotation). */
  statusKey: () => Ed25519KeyPair;
  /** The signed key set versions after the one an installation trusts (relayed, not vouched for). */
  keysets?: (trusted: number, product: string) => string[];
  /** Spends one verification on the UNKNOWN path, so that it costs what VALID costs. */
  decoyVerification: DecoyVerification;
  windowSeconds: number;
  checkIntervalSeconds: number;
  /** The shared store's chains and nonce window (the same for every worker and instance). */
  chains: CheckChainStore;
  /** What a fork does when the license sets nothing: warn (record it) or suspend the copy. */
  forkAction: ForkAction;
  /** How long the nonce of a check made with a wrong clock is held (seconds). */
  offClockNonceHoldSeconds: number;
  /**
   * The longest a check waits for the shared store's nonce write or chain step (ms; default
   * 2 000): past it, or on any failure of theirs, the check is answered 503.
   */
  storeTimeoutMs?: number;
  /** Told how long each nonce took to be stored in the shared store (seconds). */
  nonceStored?: (seconds: number) => void;
  /** Told of each refused check of a license that exists (the check.failed webhook). */
  refused?: (refused: RefusedCheck) => void;
}

export type AnswerCheck = (
  token: string,
  nowMs: number,
  /** The client address, kept as evidence when the check forks. */
  address?: string,
) => Promise<CheckAnswer>;

export function createAnswerCheck(deps: AnswerCheckDeps): AnswerCheck {
  const { views, replay, perInstallation } = deps;
  const storeTimeoutMs = deps.storeTimeoutMs ?? 2_000;

  /**
   * A write of the check path in the shared store, bounded in time: a failure of any kind (a
   * lost server, a write concern not met, a lock held too long, a write that never returns) is
   * the store's, answered 503 `ERR_STORE_UNAVAILABLE`, never a 500 or a request left hanging.
   * A write that ends after its deadline changes what a new check would (a nonce held, a step
   * taken: read then as a lost answer); this check is not answered.
   */
  // Always the service's own error: the store's (its ERR_STORE_UNAVAILABLE included) says what
  // failed inside it ("no such table: checks"), which the client must not read; it is the cause,
  // and the log line of the failed check carries it with the request id.
  const fromStore = <T>(work: Promise<T>): Promise<T> =>
    withTimeout(work, storeTimeoutMs).catch((cause: unknown) => {
      throw storeUnavailable(cause);
    });

  const report = (licenseId: string, installationId: string, reason: string, at: number) =>
    deps.refused?.({ licenseId, installationId, reason, at });

  /** A refusal ahead of the license's read: recorded when the license is bound to that caller. */
  const reportIfBound = async (
    licenseId: string,
    installationId: string,
    reason: string,
    at: number,
  ) => {
    if (deps.refused === undefined) return;
    const cached = views.peek(licenseId, at) ?? (await views.load(licenseId, at).catch(() => null));
    if (cached?.view?.installationId === installationId) {
      report(licenseId, installationId, reason, at);
    }
  };

  /**
   * The shared store's nonce window, timed for the metrics (the wait for the disk). Keyed by the
   * check's iat too (a replay carries the same): only ever called once the signature of a bound
   * check holds over that iat.
   */
  const storeNonce = async (
    installationId: string,
    nonce: string,
    iat: number,
    until: number,
    at: number,
  ) => {
    if (deps.nonceStored === undefined) {
      return deps.chains.admitNonce(installationId, nonce, iat, until, at);
    }
    const asked = performance.now();
    const admitted = await deps.chains.admitNonce(installationId, nonce, iat, until, at);
    deps.nonceStored((performance.now() - asked) / 1000);
    return admitted;
  };

  return async function answerCheck(token, nowMs, address) {
    // Read once: the kid, then the claims, each refused as verifyCheck would; the signature is
    // checked below over the same bytes, without reading them again.
    const decoded = peekCheck(token);
    const installationId = decoded.installationId;
    const claimed = decoded.claims;
    const nowSeconds = Math.floor(nowMs / 1000);
    const skew = nowSeconds - claimed.iat;
    const offClock = Math.abs(skew) > deps.windowSeconds;
    // A version 1 status cannot tell the installation its clock is off: a v1 check is refused
    // as before. A version 2 check is answered whatever the offset, and the status says it.
    if (offClock && claimed.v === 1) {
      await reportIfBound(claimed.lid, installationId, 'ERR_CHECK_TIME_SKEW', nowMs);
      throw new CheckTimeSkewError(
        `The check was made more than ${deps.windowSeconds} s from the service's time; ` +
          "correct the installation's clock and check again.",
      );
    }
    // Further off than a status can say (ten years: a clock reset to 1970, a forged iat): refused
    // before anything is stored, as a version 1 check off the clock is.
    if (Math.abs(skew) > MAX_STATUS_SKEW_SECONDS) {
      await reportIfBound(claimed.lid, installationId, 'ERR_CHECK_TIME_SKEW', nowMs);
      throw new CheckTimeSkewError(
        "The check was made more than ten years from the service's time; " +
          "correct the installation's clock and check again.",
      );
    }

    const cached = views.peek(claimed.lid, nowMs) ?? (await views.load(claimed.lid, nowMs));
    const view = cached.view;
    const key = cached.installationPublicKey;
    const bound = view !== null && key !== null && view.installationId === installationId;

    if (bound) {
      try {
        verifyDecodedCheck(decoded, (kid) => (kid === installationId ? key : undefined));
      } catch (error) {
        report(claimed.lid, installationId, codeOf(error), nowMs);
        throw error;
      }
      // Limited only once the signature holds: anyone can name an installation id, and a
      // bucket others can drain would let them lock that installation out.
      const wait = perInstallation.take(installationId, nowMs);
      if (wait > 0) throw new RateLimitedError(wait);
    } else {
      deps.decoyVerification(token);
      // A license that exists, checked by an installation it is not bound to.
      if (view !== null) report(claimed.lid, installationId, UNKNOWN_INSTALLATION, nowMs);
    }

    /**
     * A bound check refused as a replay: recorded, and its token given back to the
     * installation's bucket, so that whoever replays a captured check cannot drain the bucket
     * and lock the installation out (the replayer's own address still pays, per client).
     */
    const refusedAsReplay = () => {
      perInstallation.giveBack(installationId);
      report(claimed.lid, installationId, 'ERR_CHECK_REPLAYED', nowMs);
    };

    // This process's guard first (free), then the shared store's nonce window, so a check
    // replayed to another worker or instance is refused too. A check inside the clock window is
    // refused by the window after it; one made with a wrong clock is held much longer.
    // Only a bound check's nonce is held the long way: an UNKNOWN check's signature was never
    // checked, and anyone could otherwise fill the shared store with month-long nonces.
    const holdMs =
      (offClock && bound ? deps.offClockNonceHoldSeconds : 2 * deps.windowSeconds) * 1000;
    const replayed = () => {
      if (bound) refusedAsReplay();
      return new CheckReplayedError(
        'This check request was already answered; make a new one (each carries a fresh nonce).',
      );
    };
    if (!replay.admit(installationId, claimed.nonce, nowMs)) throw replayed();
    const admission = fromStore(
      storeNonce(installationId, claimed.nonce, claimed.iat, nowMs + holdMs, nowMs),
    );

    const outcome: CheckOutcome = bound ? decideOutcome(view, nowSeconds) : 'UNKNOWN';
    const toSign = {
      claimed,
      installationId,
      bound: bound ? view : null,
      outcome,
      nowSeconds,
      skew,
      chain: null,
    };
    let signed: SignedAnswer;
    if (!(bound && claimed.v >= 2)) {
      // A version 1 status, or an UNKNOWN one, does not depend on the store's answer: it is
      // signed while the nonce's group is written and synced, in time the event loop would
      // otherwise spend waiting for the disk at a few checks at a time (#15.5): once this turn
      // has handed the group to the writer (setImmediate runs after the writer's own send at the
      // turn's end). It is sent only once the nonce is durable; a check the store refuses throws
      // its signed status away. The refusal is handled by the await below; marked now, so that
      // one that comes meanwhile is not an unhandled rejection.
      admission.catch(() => undefined);
      await afterTurn();
      signed = signAnswer(deps, toSign);
      if (!(await admission)) throw replayed();
    } else {
      if (!(await admission)) throw replayed();
      // Version 2: one step of the installation's check chain (check-chain.ts in the issuer),
      // which only an admitted check may take; its status carries the step.
      const chain = await fromStore(
        stepChain(
          deps.chains,
          {
            installationId,
            licenseId: claimed.lid,
            presented: claimed.prev ?? null,
            // The normalised token: the same check with whitespace put into it (which the
            // token's reader drops) is the same check, and must get the same value.
            checkToken: decoded.token,
            evidence: {
              at: nowMs,
              address: address ?? null,
              credentialsInUse: claimed.usage.credentialsInUse,
              sdkVersion: claimed.sdk,
              presented: claimed.prev ?? null,
            },
            now: nowMs,
            // Made off the clock, either way: its nonce may have been held and dropped already (a
            // captured check replayed after its hold: 2 x window for one made on time, which is
            // then behind; offClockNonceHoldSeconds for one made off, ahead or behind). Not
            // continuing the chain, it is then refused, and recorded as no fork (a fork needs a
            // check that is fresh).
            refuseFork: offClock,
          },
          deps.forkAction,
        ),
      );
      if (chain.replayed === true) {
        // This very check was answered before, and its nonce since dropped by the window.
        refusedAsReplay();
        throw new CheckReplayedError(
          'This check request was already answered; make a new one (each carries a fresh nonce).',
        );
      }
      if (chain.refused === true) {
        refusedAsReplay();
        throw new CheckReplayedError(
          `This check does not continue the installation's check chain and was made more than ` +
            `${deps.windowSeconds} s from the service's time: it is refused as a possible replay. ` +
            "Correct the installation's clock and make a new check (an installation restored " +
            'from a backup is then answered, and named as a copy).',
        );
      }
      signed = signAnswer(deps, { ...toSign, chain });
    }

    if (bound && view !== null) {
      deps.record({
        id: newId('chk'),
        at: nowMs,
        licenseId: claimed.lid,
        installationId,
        sdkVersion: claimed.sdk,
        credentialsInUse: claimed.usage.credentialsInUse,
        outcome: signed.outcome,
        ...(claimed.v >= 2 && claimed.keyset !== undefined ? { keyset: claimed.keyset } : {}),
        // The revision in force at the installation (any version): what `keys revoke` reads. A
        // revision the license does not have (yet, in this view) is not recorded: the store
        // keeps the highest reported, so a claim above the license's would hide it for good.
        ...(claimed.rev <= view.revision ? { rev: claimed.rev } : {}),
      });
    }
    return {
      status: signed.status,
      outcome: signed.outcome,
      licenseId: claimed.lid,
      installationId,
    };
  };
}
