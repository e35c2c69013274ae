// File system errors of the FileStore as typed errors naming the path: a folder the CMS's account
// may not use (or a full or read-only disk) is not a damaged state, and says so.
import { isLicensorError } from '@licensor/token';
import { StateAccessError, StateCorruptError } from '../errors.js';

/** Errors of a folder the CMS's account may not use, or a disk that is full: nothing is damaged. */
const ACCESS_CODES: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);

/**
 * A file system error as a typed error that names the path: ERR_STATE_ACCESS when the account
 * may not read or write it, the file system is read-only or the disk is full (fix that; nothing
 * is damaged), else ERR_STATE_CORRUPT (EISDIR…: a file that is not what it should be).
 */
export function fileError(path: string, doing: string, error: unknown): unknown {
  if (isLicensorError(error)) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && ACCESS_CODES.has(code)) {
    const fix =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'the disk (or the quota) is full: make room'
        : code === 'EROFS'
          ? 'the file system is read-only: mount it writable'
          : "the CMS's account may not read and write it: give that account read and write access to the state folder and its files (the folder is meant to be the CMS's alone, mode 0700)";
    return new StateAccessError(
      `Cannot ${doing} ${path} (${code}): ${fix}. The license state is not damaged; do not restore or delete anything.`,
      code,
    );
  }
  return new StateCorruptError(
    `Cannot ${doing} ${path} (${code ?? (error as Error)?.message ?? 'error'}). Check that it is a file the CMS's account can read and write, and that the disk has room; restore it from a backup if it is damaged.`,
    code,
  );
}
