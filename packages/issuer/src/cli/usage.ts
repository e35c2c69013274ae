// Usage text and the usage error (exit 2) of the `licensor-issuer` CLI.

export const USAGE = `usage: licensor-issuer <command> [options]

commands:
  init                               create the license-use and status-use signing keys
  keys list                          list signing keys (active, inactive, retired)
  keys rotate [--use license|status] make a new active key (default: license)
  keys retire KID                    remove a non-active key from new JWKS exports
  keys export                        print the public JWKS (what the SDK trusts)
  inspect CHALLENGE|@FILE|-          what a challenge is and what to know before issuing
  issue CHALLENGE|@FILE|- --customer NAME --credentials N --model perpetual|subscription
        [--term-days D] [--grace-days G] [--customer-id ID]
                                     issue a license key (stdout: the key only)
  licenses list [--state S] [--model M] [--search TEXT] [--limit N]
  licenses show ID                   a license, its transactions, requests and last check
  revoke|suspend|resume ID [--reason TEXT]
  renew ID --term-days D [--grace-days G]
                                     a longer term, delivered at the next online check
  requests list [--status pending|approved|rejected]
  approve REQUEST_ID [--term-days D] [--grace-days G] [--credentials N]
                                     a switch to subscription starts a term of D days
                                     (default 365) with G days of grace (default 30)
  reject REQUEST_ID [--reason TEXT]
  customers list
  customers rename CUSTOMER_ID NAME
  users add NAME --role admin|issuer|viewer [--password-stdin]
                                     password from stdin, $LICENSOR_USER_PASSWORD, or generated
                                     and printed once
  users list
  users set-password NAME [--password-stdin]
                                     a forgotten password (stdin, $LICENSOR_USER_PASSWORD, or
                                     generated and printed once); the portal's open sessions
                                     of that user end at their timeout
  users set-role NAME --role R | users disable NAME | users enable NAME
  audit [--limit N]                  the audit log, newest first

options:
  --data DIR        data folder (default $LICENSOR_DATA, else ./.licensor-data); MONGODB_URI
                    selects MongoDB
  --json            machine-readable output
  --operator NAME   who acts (default: $LICENSOR_OPERATOR, else cli:<os user>)

environment:
  LICENSOR_DATA                   the data folder when --data is not given
  LICENSOR_KEY_PASSPHRASE         seals license signing keys at rest (the issuing side's secret)
  LICENSOR_STATUS_KEY_PASSPHRASE  seals status signing keys (the verify service's secret; must differ)
  MONGODB_URI                     use this MongoDB instead of the SQLite file in --data

exit codes: 0 done, 1 refused (error: CODE: message), 2 usage error
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function wholeNumber(
  value: string | undefined,
  name: string,
  minimum: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) < minimum) {
    throw new UsageError(`${name} must be a whole number of at least ${minimum}`);
  }
  return Number(value);
}

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new UsageError(`${name} is required`);
  return value;
}

export function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T))
    throw new UsageError(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}
