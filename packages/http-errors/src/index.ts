// The one HTTP error rule of Licensor's two servers, the verify service and the portal:
// - one body, `{"error":{"code","message","requestId"}}` (the portal may add `issues`);
// - one request id: the caller's X-Request-Id when it is a plain token (letters, digits,
//   `._:-`, 1 to 64 characters), otherwise a new UUID; echoed in X-Request-Id and logged;
// - code -> status through a table typed as a Record over the union of every code a server can
//   meet (each package exports its codes as a constant list), so a new code without a status
//   fails the typecheck instead of reaching a client as a guess;
// - anything else (no code, a code the table does not hold, or one it maps to 500) is a plain
//   500 ERR_INTERNAL whose message is fixed: the error's own message is never echoed, it goes
//   to the log with the request id.
import { randomUUID } from 'node:crypto';
import { isLicensorError } from '@licensor/token';

export const INTERNAL_ERROR_CODE = 'ERR_INTERNAL';

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId: string;
    /** The portal's request validation: which input failed, and why. */
    issues?: readonly { path: string; message: string }[];
    /** The input field a refusal of the terms or the catalogue names (`graceDays`, `addOns[1]`). */
    field?: string;
  };
}

/** What an X-Request-Id must look like to be kept. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request id of a request: its X-Request-Id header when plain, else a new UUID. */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

/** A server's code -> status table. */
export interface StatusTable<C extends string = string> {
  /** Every code the table answers with its own status. */
  readonly codes: readonly C[];
  /** The status of a code; 500 for any code the table does not hold. */
  statusOf(code: string): number;
}

/**
 * Builds a server's table. Type `table` as `Record<UnionOfCodes, number>` built from the
 * packages' code lists, so a code added to any of them without a status here fails to compile.
 */
export function statusTable<C extends string>(table: Readonly<Record<C, number>>): StatusTable<C> {
  const statuses = new Map<string, number>(Object.entries(table) as [string, number][]);
  for (const [code, status] of statuses) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`${code} maps to ${status}, not an error status`);
    }
  }
  return {
    codes: Object.keys(table) as C[],
    statusOf: (code) => statuses.get(code) ?? 500,
  };
}

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  /** True for the plain 500: the caller should log the error (the body says nothing of it). */
  internal: boolean;
}

/**
 * The answer to `error`: a typed error whose code the table maps to a 4xx or a 5xx other than
 * 500 keeps its code and message; anything else is the plain 500 with `internalMessage`.
 */
export function errorAnswer(
  error: unknown,
  requestId: string,
  table: StatusTable,
  internalMessage: string,
): ErrorAnswer {
  if (isLicensorError(error)) {
    const status = table.statusOf(error.code);
    if (status !== 500) {
      return {
        status,
        body: { error: { code: error.code, message: error.message, requestId } },
        internal: false,
      };
    }
  }
  return {
    status: 500,
    body: { error: { code: INTERNAL_ERROR_CODE, message: internalMessage, requestId } },
    internal: true,
  };
}

export {
  SCRAPE_TOKEN_MIN_LENGTH,
  scrapeTokenMatches,
  scrapeTokenProblem,
  scrapeTokenSetting,
} from './scrape-token.js';
