// The signed status for one check, from what answerCheck decided: the outcome, the license's
// record when the check is the bound installation's, and for a version 2 check its chain step.
// A status that does not depend on the store's answer (version 1, UNKNOWN) is signed while the
// check's nonce is written (answer-check.ts); a version 2 status carries its chain step, so it
// is signed after it.
import type { ChainAnswer } from '@licensor/issuer/checks';
import {
  type CheckClaims,
  type CheckOutcome,
  type Ed25519KeyPair,
  signStatus,
} from '@licensor/token';
import type { CheckView } from '../store-port.js';
import { decideCheckBy, tokenToRelay } from './decide-outcome.js';
import { rejectionsToRelay } from './relay-rejections.js';

export interface SignAnswerDeps {
  statusKey: () => Ed25519KeyPair;
  keysets?: (trusted: number, product: string) => string[];
  checkIntervalSeconds: number;
}

export interface AnswerToSign {
  claimed: CheckClaims;
  installationId: string;
  /** The license's record when the check is its bound installation's, else null (UNKNOWN). */
  bound: CheckView | null;
  outcome: CheckOutcome;
  nowSeconds: number;
  /** The service's time minus the check's `iat` (version 2 statuses carry it). */
  skew: number;
  /** A version 2 check's step of its chain, once its nonce is admitted; else null. */
  chain: ChainAnswer | null;
}

export interface SignedAnswer {
  status: string;
  /** The outcome answered: SUSPENDED for a copy the fork policy suspends. */
  outcome: CheckOutcome;
}

export function signAnswer(deps: SignAnswerDeps, answer: AnswerToSign): SignedAnswer {
  const { claimed, installationId, bound: view, chain, nowSeconds } = answer;
  const fork = chain?.fork ?? null;
  // The fork policy (check-chain.ts): the copy under suspend / suspend-both, and the original
  // too under suspend-both while the fork is open.
  const suspendCopy = chain?.suspend === true && answer.outcome === 'VALID';
  const outcome: CheckOutcome = suspendCopy ? 'SUSPENDED' : answer.outcome;
  const termEnd = view !== null ? (view.term?.end ?? null) : null;
  // Version 2: the key set versions the installation lacks, when it says which it trusts.
  const keysets =
    claimed.v >= 2 && claimed.keyset !== undefined && deps.keysets !== undefined
      ? deps.keysets(claimed.keyset, claimed.product.name)
      : [];
  // Version 2: the installation's own requests the vendor declined (#16.14).
  const rejected =
    view !== null && claimed.v >= 2 ? rejectionsToRelay(view, installationId, nowSeconds) : [];
  const status = signOrFail(() =>
    signStatus(
      {
        v: claimed.v >= 2 ? 2 : 1,
        iat: nowSeconds,
        nonce: claimed.nonce,
        lid: claimed.lid,
        sub: installationId,
        outcome,
        rev: view !== null ? view.revision : null,
        termEnd,
        checkBy: decideCheckBy(termEnd, nowSeconds, deps.checkIntervalSeconds),
        license: view !== null && !suspendCopy ? tokenToRelay(view, outcome, claimed.rev) : null,
        ...(claimed.v >= 2 ? { skew: answer.skew } : {}),
        ...(chain === null ? {} : { chain: chain.next }),
        ...(fork === null && !suspendCopy ? {} : { forked: true }),
        ...(keysets.length === 0 ? {} : { keysets }),
        ...(rejected.length === 0 ? {} : { rejected }),
      },
      deps.statusKey(),
    ),
  );
  return { status, outcome };
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
