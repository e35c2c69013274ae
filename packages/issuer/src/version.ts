// The version `licensor-issuer --version` prints; a test keeps it equal to package.json.
export const ISSUER_VERSION = '0.1.0';
