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

function auditedOperator(operator: unknown): AuditEntry['operator'] {
  const candidate = (operator ?? {}) as Partial<Operator>;
  return {
    id: typeof candidate.id === 'string' ? candidate.id : '(invalid)',
    name: typeof candidate.name === 'string' ? candidate.name : null,
    roles: Array.isArray(candidate.roles)
      ? candidate.roles.filter((role) => typeof role === 'string')
      : [],
  };
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
}

export async function runOperation<T>(
  context: Context,
  operator: Operator,
  action: OperatorAction,
  work: () => Promise<Done<T>>,
  mode: 'change' | 'read' = 'change',
): Promise<T> {
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
  const succeeded = (done: Done<T>) =>
    done.failed === undefined
      ? facts('ok', null, done.detail ?? null)
      : facts('failed', done.failed.code, done.failed.message);
  try {
    checkOperator(operator);
    if (!(await context.authorize(operator, action))) {
      throw new NotAuthorizedError(
        `Operator ${operator.id} may not ${action}. Log in as an operator with the required role (System Administrator).`,
      );
    }
  } catch (error) {
    return refuse(error, false);
  }
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
