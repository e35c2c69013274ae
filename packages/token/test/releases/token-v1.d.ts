// Types for the part of the frozen version 1 build (token-v1.js) the tests call.

export class LicensorError extends Error {
  readonly code: string;
}
export class VersionUnsupportedError extends LicensorError {
  readonly version: unknown;
}
export class Keyring {
  static fromJwks(jwks: unknown): Keyring;
}
export function verifyLicense(
  token: string,
  keyring: Keyring,
): { claims: Record<string, unknown>; kid: string; token: string };
export function verifyChallenge(token: string): {
  claims: Record<string, unknown>;
  installationId: string;
  token: string;
};
export function verifyCheck(
  token: string,
  resolveInstallationKey: (kid: string) => Uint8Array | undefined,
): { claims: Record<string, unknown>; installationId: string; token: string };
export function verifyStatus(
  token: string,
  keyring: Keyring,
): { claims: Record<string, unknown>; kid: string; token: string };
