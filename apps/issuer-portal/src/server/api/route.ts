// A route is declared once, as data: method, path, who may call it, and zod schemas for its
// params, query, body and answer. The same declaration registers the express handler (which
// validates input with the schemas) and produces the route's entry in the OpenAPI document,
// so the document cannot drift from what the server accepts.
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../roles.js';
import type { Session } from '../session/session-store.js';
import type { ApiDeps } from './deps.js';

export type Access = 'public' | Role;
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /**
   * Present on every route whose access is a role: the cookie session, or for a request with an
   * API token a session-shaped principal (`tokenId` set, `userName` = `token:<name>`).
   */
  session: Session | null;
  deps: ApiDeps;
  req: Request;
  res: Response;
}

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Express syntax, relative to /api/v1: `/licenses/:licenseId`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  /**
   * Only for a person logged in with a session (password change, logout, tokens, users):
   * an API token is refused with ERR_FORBIDDEN.
   */
  sessionOnly?: boolean;
  /**
   * Answers a session the 2FA policy holds to enrolment (the session itself, logout, 2FA
   * enrolment); every other route refuses it with ERR_2FA_ENROLMENT_REQUIRED.
   */
  duringEnrolment?: boolean;
  /**
   * Answers a session opened with a one-time password (the session itself, logout, the
   * password change); every other route refuses it with ERR_PASSWORD_CHANGE_REQUIRED.
   */
  duringPasswordChange?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /**
   * The media types of a success answer the handler streams itself (an export), for the
   * document; `application/json` unless stated.
   */
  contentTypes?: readonly string[];
  /** 200 unless stated. */
  status?: 200 | 201;
  /** Extra error codes worth listing in the document, besides the ones every route can give. */
  errors?: readonly number[];
  // Method syntax on purpose: it lets a list hold routes of different schemas.
  handle(
    ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>,
  ): Promise<z.input<R>> | z.input<R>;
}

export function defineRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
>(spec: RouteSpec<P, Q, B, R>): RouteSpec<P, Q, B, R> {
  return spec;
}
