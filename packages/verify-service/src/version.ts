// The version `licensor-verify --version` prints; a test keeps it equal to package.json.
export const VERIFY_SERVICE_VERSION = '0.1.0';
