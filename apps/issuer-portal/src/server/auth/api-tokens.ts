// API tokens for automation (a CRM, a billing system): `Authorization: Bearer lpt_<id>_<secret>`.
// The secret is 32 random bytes, shown once when the token is made; the store keeps only its
// SHA-256 (a fast hash is enough for 256 random bits), compared in constant time. A token holds
// the issuer or viewer role, never admin, so a leaked token cannot make tokens or users. Every
// refusal (malformed, unknown, wrong secret, expired, revoked) is the same 401 body, so a caller
// learns nothing about which tokens exist.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiTokenRecord, ApiTokenRole, LicensorStore } from '@licensor/issuer';
import { newId } from '@licensor/token';
import { PortalError } from '../http/portal-errors.js';
import type { Session } from '../session/session-store.js';

export const TOKEN_PREFIX = 'lpt_';
// A token's id is `tok_` and what `newId('tok')` makes (22 base64url characters), or 16 hex
// digits for tokens made before the one id generator. The bearer is `lpt_<id without tok_>_<secret>`,
// the secret 64 hex digits.
const ID_PART = '[A-Za-z0-9_-]{22}|[0-9a-f]{16}';
export const API_TOKEN_ID_PATTERN = new RegExp(`^tok_(?:${ID_PART})$`);
const TOKEN_PATTERN = new RegExp(`^lpt_(${ID_PART})_([0-9a-f]{64})$`);
/** Last use is written at most this often per token, so a busy script does not write per call. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export class TokenInvalidError extends PortalError {
  constructor() {
    super(
      'ERR_TOKEN_INVALID',
      'The API token is not valid: it is malformed, unknown, expired or revoked. Ask an administrator for a new one.',
    );
  }
}

export class TokenNameTakenError extends PortalError {
  constructor(name: string) {
    super(
      'ERR_TOKEN_EXISTS',
      `A token named "${name}" exists (names are unique, revoked tokens included). Choose another name.`,
    );
  }
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What the audit log and the routes see as the operator of a token's actions. */
export function tokenOperator(name: string): string {
  return `token:${name}`;
}

export interface NewToken {
  record: ApiTokenRecord;
  /** The bearer value, shown once. */
  secret: string;
}

export async function createApiToken(
  store: LicensorStore,
  input: { name: string; role: ApiTokenRole; expiresAt: number | null; createdBy: string },
  now: number,
): Promise<NewToken> {
  const id = newId('tok');
  const secret = randomBytes(32).toString('hex');
  const record: ApiTokenRecord = {
    id,
    name: input.name,
    role: input.role,
    secretHash: hashSecret(secret),
    createdAt: now,
    createdBy: input.createdBy,
    expiresAt: input.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
    revokedBy: null,
  };
  if (!(await store.automation.insertApiToken(record))) throw new TokenNameTakenError(input.name);
  return { record, secret: `${TOKEN_PREFIX}${id.slice('tok_'.length)}_${secret}` };
}

/** The bearer value of the Authorization header; undefined without the header. */
export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/** The principal a valid token stands for, with the token's role; TokenInvalidError otherwise. */
export async function authenticateToken(
  store: LicensorStore,
  bearer: string,
  now: number,
): Promise<Session> {
  const match = TOKEN_PATTERN.exec(bearer);
  if (match === null) throw new TokenInvalidError();
  const record = await store.automation.getApiToken(`tok_${match[1]}`);
  const sent = Buffer.from(hashSecret(match[2]!), 'hex');
  const expected = Buffer.from(record?.secretHash ?? '0'.repeat(64), 'hex');
  const matches = sent.length === expected.length && timingSafeEqual(sent, expected);
  if (
    record === null ||
    !matches ||
    record.revokedAt !== null ||
    (record.expiresAt !== null && now >= record.expiresAt)
  ) {
    throw new TokenInvalidError();
  }
  if (record.lastUsedAt === null || now - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    await store.automation.touchApiToken(record.id, now);
  }
  return {
    id: '',
    csrfToken: '',
    userId: record.id,
    userName: tokenOperator(record.name),
    role: record.role,
    createdAt: record.createdAt,
    lastSeenAt: now,
    tokenId: record.id,
  };
}

/** A token as the API shows it: everything but the hash. */
export function publicToken(record: ApiTokenRecord) {
  const { secretHash: _hash, ...rest } = record;
  return rest;
}
