// Fixed facts of the four messages: their `typ` and the size caps checked before any decoding.

/** Cap on a challenge, license or check token as given (pasted text included). */
export const MAX_TOKEN_LENGTH = 8192;
/**
 * Cap on a status token, larger since it may carry a license token and (version 2) key set
 * versions; also the cap on pasted text (a license key with the key sets before it).
 */
export const MAX_STATUS_TOKEN_LENGTH = 49152;
/** Cap on a signed key set (up to 64 keys). */
export const MAX_KEYSET_TOKEN_LENGTH = 16384;

export const TYP = {
  challenge: 'licensor-challenge+jwt',
  license: 'licensor-license+jwt',
  check: 'licensor-check+jwt',
  status: 'licensor-status+jwt',
  keyset: 'licensor-keyset+jwt',
} as const;

export type MessageKind = keyof typeof TYP;
