// What an inspection of a pasted challenge tells the vendor, one finding a fact: the kinds, in
// one place, for the inspection (analyse-challenge), the catalogue, the forks and the key usage.

export type FindingKind =
  | 'new-installation' // the store has never seen this installation
  | 'installation-bound-elsewhere' // this installation holds another license
  | 'rehost' // the challenge names a license bound to another installation (clone or move)
  | 'license-unknown' // the challenge names a license this store does not have
  | 'revision-behind' // the installation's token is older than the record
  | 'revision-ahead' // the installation claims a revision the record never issued
  | 'license-suspended'
  | 'license-revoked'
  | 'model-switch' // the installation asks to change model
  | 'credentials-change'
  | 'customer-name-change' // the installation asks for another customer name (refused when another customer has it)
  | 'existing-customer' // no license yet, and a customer of the name asked exists: the key goes to it
  | 'challenge-expired'
  | 'already-issued' // a key was issued for this challenge: issuing again returns it
  | 'product-unknown' // the challenge names a product the catalogue does not have
  | 'product-not-covered' // the license's plan does not cover this product or version
  | 'features-asked' // the installation asks for features (the customer's request)
  | 'limits-asked' // the installation asks for limits
  | 'sdk-format-1' // the installation's SDK reads license format 1: no entitlements in its key
  | 'possible-copy' // the challenge's check chain value is behind the installation's newest check
  | 'fork-open' // the verify service recorded a fork of this installation that is still open
  | 'keyset-behind' // the installation trusts an older signed key set: its key carries the newer ones
  | 'keyset-unknown'; // it names a key set version never published: issuing is refused

export interface Finding {
  kind: FindingKind;
  message: string;
}
