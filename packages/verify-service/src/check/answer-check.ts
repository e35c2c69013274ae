// The check itself, without HTTP: a compact check request in, a signed status out. One store
// read (usually from the cache), one signature verification, one signature. The three UNKNOWN
// cases (no such license, another installation, an installation the record does not know) take
// one path: the same answer shape, and a decoy verification so that it costs what a real one
// costs.
import {
  type CheckOutcome,
  type Ed25519KeyPair,
  readCheckKid,
  signStatus,
  verifyCheck,
} from '@licensor/token';
import { RateLimitedError, VerifyServiceError } from '../errors.js';
import type { RateLimiter } from '../state/rate-limiter.js';
import type { ReplayGuard } from '../state/replay-guard.js';
import type { ViewCache } from '../state/view-cache.js';
import type { CheckRecord } from '../store-port.js';
import { newCheckId } from './check-id.js';
import { decideCheckBy, decideOutcome, tokenToRelay } from './decide-outcome.js';
import type { DecoyVerification } from './decoy-verification.js';
import { peekCheck } from './peek-check.js';

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
  /** Spends one verification on the UNKNOWN path, so that it costs what VALID costs. */
  decoyVerification: DecoyVerification;
  windowSeconds: number;
  checkIntervalSeconds: number;
}

export type AnswerCheck = (token: string, nowMs: number) => Promise<CheckAnswer>;

export function createAnswerCheck(deps: AnswerCheckDeps): AnswerCheck {
  const { views, replay, perInstallation } = deps;

  return async function answerCheck(token, nowMs) {
    const installationId = readCheckKid(token);

    const claimed = peekCheck(token);
    const nowSeconds = Math.floor(nowMs / 1000);
    if (Math.abs(claimed.iat - nowSeconds) > deps.windowSeconds) {
      throw new VerifyServiceError(
        'ERR_CHECK_TIME_SKEW',
        `The check was made more than ${deps.windowSeconds} s from the service's time; ` +
          "correct the installation's clock and check again.",
      );
    }

    const cached = views.peek(claimed.lid, nowMs) ?? (await views.load(claimed.lid, nowMs));
    const view = cached.view;
    const key = cached.installationPublicKey;
    const bound = view !== null && key !== null && view.installationId === installationId;

    if (bound) {
      verifyCheck(token, (kid) => (kid === installationId ? key : undefined));
      // Limited only once the signature holds: anyone can name an installation id, and a
      // bucket others can drain would let them lock that installation out.
      const wait = perInstallation.take(installationId, nowMs);
      if (wait > 0) throw new RateLimitedError(wait);
    } else {
      deps.decoyVerification(token);
    }

    if (!replay.admit(installationId, claimed.nonce, nowMs)) {
      throw new VerifyServiceError(
        'ERR_CHECK_REPLAYED',
        'This check request was already answered; make a new one (each carries a fresh nonce).',
      );
    }

    const outcome: CheckOutcome = bound ? decideOutcome(view, nowSeconds) : 'UNKNOWN';
    const termEnd = bound ? (view.term?.end ?? null) : null;
    const status = signOrFail(() =>
      signStatus(
        {
          v: 1,
          iat: nowSeconds,
          nonce: claimed.nonce,
          lid: claimed.lid,
          sub: installationId,
          outcome,
          rev: bound ? view.revision : null,
          termEnd,
          checkBy: decideCheckBy(termEnd, nowSeconds, deps.checkIntervalSeconds),
          license: bound ? tokenToRelay(view, outcome, claimed.rev) : null,
        },
        deps.statusKey(),
      ),
    );

    if (bound) {
      deps.record({
        id: newCheckId(),
        at: nowMs,
        licenseId: claimed.lid,
        installationId,
        sdkVersion: claimed.sdk,
        credentialsInUse: claimed.usage.credentialsInUse,
        outcome,
      });
    }
    return { status, outcome, licenseId: claimed.lid, installationId };
  };
}

/**
 * Signing fails only through the service's own fault (a broken status key): never let that
 * surface as the token package's 4xx codes, which would blame the caller. A plain Error is a
 * 500 whose cause goes to the log, not to the caller.
 */
function signOrFail(sign: () => string): string {
  try {
    return sign();
  } catch (cause) {
    throw new Error('signing the status failed', { cause });
  }
}
