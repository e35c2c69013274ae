// Usage text, the usage error (exit 2) and the option value checks of the `licensor` CLI.
import type { LicenseModel } from '@licensor/token';

export const USAGE = `usage: licensor <command> [options]

commands:
  challenge [--credentials N] [--model perpetual|subscription] [--customer NAME] [--in-use N]
                         print a challenge for the vendor (stdout: the challenge only)
  apply KEY|@FILE|-      apply a license key (as text, from a file, or from stdin)
  show                   print the license (View License) and its state
  capacity [--in-use N]  may one more credential be managed, with N in use (default 0)?
                         exit 0 yes, 1 no (error: CODE: why)
  verify [--url URL] [--timeout MS]
                         run the online check (URL default: $LICENSOR_VERIFY_URL)
  activate perpetual|subscription [--in-use N]
                         print a challenge that asks to switch the license model
  requests               list pending challenges
  audit [--limit N]      list the audit trail
  audit --verify         check the audit trail's chain; exit 1 naming the first entry that
                         was deleted, edited, moved or added by hand

options:
  --state DIR            state directory (default ./.licensor)
  --trust FILE           the vendor's public JWKS (default: $LICENSOR_TRUST); saved in the
                         state directory the first time, then not needed
  --replace-trust        let --trust replace saved vendor keys with different ones (after the
                         vendor published new keys); without it that is ERR_TRUST_CHANGED
  --json                 machine-readable output
  --armour               challenge/activate: print the BEGIN/END armoured form
  --operator NAME        who acts (default: the OS user)
  --role ROLE            the operator's role, repeatable. Default: system-administrator, so
                         the OS user who runs the CLI (the CMS's own administrator) may
                         apply keys; use --role to act with less. Real access control is
                         the embedding CMS's authorisation hook.
  --product NAME@VERSION the product this installation runs (default: $LICENSOR_PRODUCT)
  -h, --help             this text
  -V, --version          print the version of licensor
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

export function modelOf(value: string | undefined): LicenseModel | undefined {
  if (value === undefined || value === 'perpetual' || value === 'subscription') return value;
  throw new UsageError('the model must be perpetual or subscription');
}
