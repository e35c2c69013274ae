// Every operator operation goes through here: the operator is checked, the CMS's authorisation
// hook is asked, the work runs alone (one load → change → save at a time), and the outcome,
// allowed or refused, is appended to the audit trail.
import { isLicensorError } from '@licensor/token';
import type { Context } from './context.js';
import { SdkError } from './errors.js';
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
    throw new SdkError(
      'ERR_OPERATOR_INVALID',
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
  const entry = (
    outcome: AuditEntry['outcome'],
    code: string | null,
    detail: string | null,
  ): AuditEntry => ({
    at: Math.floor(context.nowMs() / 1000),
    operator: auditedOperator(operator),
    action,
    outcome,
    code,
    detail,
  });
  let done: Done<T>;
  try {
    checkOperator(operator);
    if (!(await context.authorize(operator, action))) {
      throw new SdkError(
        'ERR_NOT_AUTHORIZED',
        `Operator ${operator.id} may not ${action}. Log in as an operator with the required role (System Administrator).`,
      );
    }
    // Changes run one at a time (load → change → save); reads see one atomic state file.
    done = mode === 'change' ? await context.exclusive(work) : await work();
  } catch (error) {
    const refused = isLicensorError(error);
    const code = refused ? error.code : null;
    const detail = refused ? error.message : 'unexpected error';
    await context.store.appendAudit(entry(refused ? 'refused' : 'failed', code, detail));
    throw error;
  }
  await context.store.appendAudit(
    done.failed === undefined
      ? entry('ok', null, done.detail ?? null)
      : entry('failed', done.failed.code, done.failed.message),
  );
  return done.result;
}
