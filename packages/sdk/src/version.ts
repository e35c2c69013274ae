// The SDK version sent in every check request (claim `sdk`); a test keeps it equal to package.json.
export const SDK_VERSION = '0.1.0';
