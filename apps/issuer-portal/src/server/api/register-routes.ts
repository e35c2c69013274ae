// Turns route declarations into express handlers: authentication (an API token in
// `Authorization: Bearer`, or the session cookie plus its CSRF token on state changes) and the
// role check first, then input validation against the route's schemas, then the handler, whose
// answer is parsed through the declared response schema. A bearer request needs no CSRF token:
// a browser never adds an Authorization header to a cross-site request on its own.
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { authenticateToken, bearerOf } from '../auth/api-tokens.js';
import { TwoFactorEnrolmentRequiredError } from '../auth/two-factor.js';
import { checkCsrfToken, isStateChange } from '../http/csrf.js';
import {
  ForbiddenError,
  PasswordChangeRequiredError,
  RequestInvalidError,
  SessionExpiredError,
  UnauthenticatedError,
} from '../http/portal-errors.js';
import { roleAllows } from '../roles.js';
import type { SessionManager } from '../session/session-manager.js';
import type { Session } from '../session/session-store.js';
import type { ApiDeps } from './deps.js';
import type { RouteSpec } from './route.js';

export interface RegisterOptions {
  sessions: SessionManager;
  deps: ApiDeps;
}

export function registerRoutes(
  router: Router,
  routes: readonly RouteSpec[],
  options: RegisterOptions,
): void {
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      const session = await authorise(route, req, options);
      const params = parse(route.params, req.params, 'path');
      const query = parse(route.query, presentOnly(req.query), 'query');
      const body = parse(route.body, req.body ?? {}, 'body');
      const answer = await route.handle({
        params,
        query,
        body,
        session,
        deps: options.deps,
        req,
        res,
      });
      if (res.headersSent) return;
      // Always through the declared schema: undeclared members never leave the server, and an
      // answer that breaks the OpenAPI document is a 500 in the log rather than a silent lie.
      res.status(route.status ?? 200).json(route.response.parse(answer));
    });
  }
}

async function authorise(
  route: RouteSpec,
  req: Request,
  { sessions, deps }: RegisterOptions,
): Promise<Session | null> {
  const bearer = bearerOf(req.get('authorization'));
  if (bearer !== undefined) {
    const principal = await authenticateToken(deps.issuer.store, bearer, deps.now());
    if (route.access === 'public') return principal;
    if (route.sessionOnly) {
      throw new ForbiddenError(route.access, 'an API token cannot do this; log in to the portal');
    }
    if (!roleAllows(principal.role, route.access)) throw new ForbiddenError(route.access);
    return principal;
  }
  if (route.access === 'public') {
    const found = await sessions.lookup(req);
    return found.kind === 'active' ? found.session : null;
  }
  const found = await sessions.lookup(req);
  if (found.kind === 'expired') throw new SessionExpiredError();
  if (found.kind === 'none') throw new UnauthenticatedError();
  if (found.kind === 'ended') {
    throw new UnauthenticatedError(
      'Your account was changed since you logged in (disabled, given another role, or its two-factor login reset). Log in again.',
    );
  }
  const { session } = found;
  if (isStateChange(req)) checkCsrfToken(req, session);
  // A one-time password is replaced first; then a 2FA enrolment the policy asks for.
  if (session.changePassword && !route.duringPasswordChange) {
    throw new PasswordChangeRequiredError();
  }
  if (session.enrolTwoFactor && !route.duringEnrolment) throw new TwoFactorEnrolmentRequiredError();
  if (!roleAllows(session.role, route.access)) throw new ForbiddenError(route.access);
  return session;
}

/**
 * The query without its empty parameters (`?since=&limit=20`, as a form sends a field left
 * blank): an empty parameter is an absent one, so it takes its default or filters nothing,
 * where a number's coercion would otherwise read "" (or " ") as 0.
 */
function presentOnly(query: Request['query']): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(query).filter(
      ([, value]) => !(typeof value === 'string' && value.trim() === ''),
    ),
  );
}

/**
 * A validation issue as a person reads it ("must be at least 1", "must be a number"), where
 * zod's own text is written for developers ("Too small: expected number to be >=1"); the
 * messages the schemas state themselves (refinements, custom checks) are kept as they are: only
 * zod's default texts are rewritten.
 */
function plainly(issue: z.core.$ZodIssue): string {
  // A message a schema states itself ("Use at least 12 characters.") is the schema's word.
  if (!/^(Too small|Too big|Invalid input|Unrecognized key)/.test(issue.message))
    return issue.message;
  const bound = (word: 'least' | 'most', limit: unknown, inclusive: boolean | undefined) => {
    const n = Number(limit);
    return inclusive === false
      ? `must be ${word === 'least' ? 'more' : 'less'} than ${n}`
      : `must be at ${word} ${n}`;
  };
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      const least = issue.code === 'too_small';
      const limit = least ? issue.minimum : issue.maximum;
      const word = least ? 'least' : 'most';
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        return bound(word, limit, issue.inclusive);
      }
      if (issue.origin === 'string') {
        if (least && Number(limit) === 1) return 'must not be empty';
        return `must have at ${word} ${Number(limit)} characters`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        if (least && Number(limit) === 1) return 'must name at least one';
        return `must have at ${word} ${Number(limit)} items`;
      }
      return issue.message;
    }
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      if (issue.expected === 'number') return 'must be a number';
      if (issue.expected === 'string') return 'must be text';
      if (issue.expected === 'boolean') return 'must be true or false';
      if (issue.expected === 'object') return 'must be an object';
      if (issue.expected === 'array') return 'must be a list';
      return issue.message;
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'a field' : 'fields'} it does not take: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

function parse(schema: z.ZodType | undefined, input: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: plainly(issue),
  }));
  const first = issues[0];
  throw new RequestInvalidError(
    first ? `Invalid ${first.path}: ${first.message}` : `Invalid request ${where}.`,
    issues,
  );
}
