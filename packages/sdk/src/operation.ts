// Every operator operation goes through here: the operator is checked, the CMS's authorisation
// hook is asked, the work runs alone (one load → change → save at a time), and the outcome,
// allowed or refused, is appended to the audit trail.
import { isLicensorError } from '@licensor/token';
import { type AuditFacts, appendAuditEntry } from './audit-chain.js';
import type { Context } from './context.js';
import { NotAuthorizedError, OperatorInvalidError } from './errors.js';
import type { AuditEntry, Operator, OperatorAction } from './types.js';

export interface Done<T> {
  result: T;
  detail?: string;
  /** The operation ran but did not achieve its aim (an online check that got no status). */
  failed?: { code: string; message: string };
}

/** The longest operator id, name or role: each is written to every audit entry. */
export const MAX_OPERATOR_FIELD_LENGTH = 200;
/** The most roles an operator may carry. */
export const MAX_OPERATOR_ROLES = 100;

/** C0 and C1 control characters (line breaks, ESC of terminal escapes, DEL, …). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding controls is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding controls is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** An operator field as the audit trail records it when the operator was refused: bounded, escaped. */
function recorded(value: string): string {
  const escaped = value.replace(
    CONTROLS,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escaped.length > MAX_OPERATOR_FIELD_LENGTH
    ? `${escaped.slice(0, MAX_OPERATOR_FIELD_LENGTH)}…`
    : escaped;
}

function auditedOperator(operator: unknown): AuditEntry['operator'] {
  const candidate = (operator ?? {}) as Partial<Operator>;
  const roles = Array.isArray(candidate.roles)
    ? candidate.roles.filter((role) => typeof role === 'string')
    : [];
  return {
    id: typeof candidate.id === 'string' ? recorded(candidate.id) : '(invalid)',
    name: typeof candidate.name === 'string' ? recorded(candidate.name) : null,
    roles: roles.slice(0, MAX_OPERATOR_ROLES).map(recorded),
  };
}

/** Why an operator field is not valid, or null. */
function fieldProblem(value: string, what: string): string | null {
  if (value.length > MAX_OPERATOR_FIELD_LENGTH) {
    return `${what} is ${value.length} characters long; at most ${MAX_OPERATOR_FIELD_LENGTH}`;
  }
  if (CONTROL.test(value)) return `${what} holds a control character (a line break, an escape)`;
  return null;
}

function checkOperator(operator: unknown): asserts operator is Operator {
  const candidate = operator as Partial<Operator> | null;
  const valid =
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    candidate.id.trim() !== '' &&
    (candidate.name === undefined || typeof candidate.name === 'string') &&
    Array.isArray(candidate.roles) &&
    candidate.roles.every((role) => typeof role === 'string');
  if (!valid) {
    throw new OperatorInvalidError(
      'The operator must be { id, name?, roles: string[] } with a non-empty id.',
    );
  }
  const problem =
    fieldProblem(candidate.id as string, 'its id') ??
    (candidate.name === undefined ? null : fieldProblem(candidate.name, 'its name')) ??
    (candidate.roles!.length > MAX_OPERATOR_ROLES
      ? `it has ${candidate.roles!.length} roles; at most ${MAX_OPERATOR_ROLES}`
      : null) ??
    candidate.roles!.map((role) => fieldProblem(role, 'a role')).find((found) => found !== null) ??
    null;
  if (problem !== null) {
    throw new OperatorInvalidError(
      `The operator is not valid: ${problem}. Operator ids, names and roles are written to every audit entry: at most ${MAX_OPERATOR_FIELD_LENGTH} characters each, no control characters.`,
    );
  }
}

/** The audit entries of one operation: its refusal (rethrown) and its success. */
function auditTrail(context: Context, operator: Operator, action: OperatorAction) {
  const facts = (
    outcome: AuditEntry['outcome'],
    code: string | null,
    detail: string | null,
  ): AuditFacts => ({
    at: Math.floor(context.nowMs() / 1000),
    operator: auditedOperator(operator),
    action,
    outcome,
    code,
    detail,
  });
  /** Appends the entry of a refusal, then rethrows the refusal (not a failure to record it). */
  const refuse = async (error: unknown, locked: boolean): Promise<never> => {
    const refused = isLicensorError(error);
    const entry = facts(
      refused ? 'refused' : 'failed',
      refused ? error.code : null,
      refused ? error.message : 'unexpected error',
    );
    try {
      await (locked
        ? appendAuditEntry(context, entry)
        : context.exclusive(() => appendAuditEntry(context, entry)));
    } catch {
      // The refusal is what the operator must see; an audit trail that cannot be written (a key
      // or a disk that is gone) is refused on its own by the operations that need it.
    }
    throw error;
  };
  const succeeded = <T>(done: Done<T>) =>
    done.failed === undefined
      ? facts('ok', null, done.detail ?? null)
      : facts('failed', done.failed.code, done.failed.message);
  /** The operator checked and the authorisation hook asked; a refusal is audited. */
  const admit = async (): Promise<void> => {
    try {
      checkOperator(operator);
      if (!(await context.authorize(operator, action))) {
        throw new NotAuthorizedError(
          `Operator ${operator.id} may not ${action}. Log in as an operator with the required role (System Administrator).`,
        );
      }
    } catch (error) {
      await refuse(error, false);
    }
  };
  return { refuse, succeeded, admit };
}

export async function runOperation<T>(
  context: Context,
  operator: Operator,
  action: OperatorAction,
  work: () => Promise<Done<T>>,
  mode: 'change' | 'read' = 'change',
): Promise<T> {
  const { refuse, succeeded, admit } = auditTrail(context, operator, action);
  await admit();
  if (mode === 'read') {
    // Reads see one atomic state file and take the lock only to append their entry.
    let done: Done<T>;
    try {
      done = await work();
    } catch (error) {
      return refuse(error, false);
    }
    await context.exclusive(() => appendAuditEntry(context, succeeded(done)));
    return done.result;
  }
  // Changes run one at a time (load → change → save → audit), across processes when the store
  // can lock: the audit chain never branches.
  return context.exclusive(async () => {
    let done: Done<T>;
    try {
      done = await work();
    } catch (error) {
      return refuse(error, true);
    }
    await appendAuditEntry(context, succeeded(done), true);
    return done.result;
  });
}

/** A change with a slow middle step (Verify License's network exchange). */
export interface Stages<P, A, T> {
  /** Checks the input and makes what the middle step needs; reads the state only. */
  prepare: () => Promise<P>;
  /** The slow step, with no state lock held; returns its failures rather than throwing them. */
  wait: (prepared: P) => Promise<A>;
  /** Records the outcome on the state as it is now (read again), under the state lock. */
  finish: (prepared: P, answer: A) => Promise<Done<T>>;
}

/**
 * Runs a change whose middle step waits (the network), one at a time per installation
 * (`verifyExclusive`), holding the state lock only to record the outcome: reads and other
 * changes go on meanwhile. A store that locks changes but cannot serialise these apart
 * (`exclusiveVerify` missing) runs the whole of it under the state lock, as one change.
 */
export async function runStagedOperation<P, A, T>(
  context: Context,
  operator: Operator,
  action: OperatorAction,
  stages: Stages<P, A, T>,
): Promise<T> {
  const { refuse, succeeded, admit } = auditTrail(context, operator, action);
  await admit();
  const finish = async (prepared: P, answer: A): Promise<T> => {
    let done: Done<T>;
    try {
      done = await stages.finish(prepared, answer);
    } catch (error) {
      return refuse(error, true);
    }
    await appendAuditEntry(context, succeeded(done), true);
    return done.result;
  };
  /** The first two stages; a refusal is audited (under the state lock when it is held). */
  const prepareAndWait = async (locked: boolean): Promise<[P, A]> => {
    try {
      const prepared = await stages.prepare();
      return [prepared, await stages.wait(prepared)];
    } catch (error) {
      return refuse(error, locked);
    }
  };
  if (!context.stagedVerify) {
    return context.exclusive(async () => finish(...(await prepareAndWait(true))));
  }
  return context.verifyExclusive(async () => {
    const [prepared, answer] = await prepareAndWait(false);
    return context.exclusive(() => finish(prepared, answer));
  });
}
