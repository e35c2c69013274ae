// Where a tool's data lives: the data folder (flag, environment, default) and the embedded
// store's file in it. A leaf: the SQLite adapter and the store opener both read it.

/** The data folder every tool uses unless told otherwise: `pnpm start`, the three CLIs. */
export const DEFAULT_DATA_DIR = './.licensor-data';

/**
 * The data folder a tool was pointed at: its `--data` flag, else `$LICENSOR_DATA`, else
 * `./.licensor-data`. One rule for `licensor-issuer`, `licensor-portal` and `licensor-verify`.
 */
export function dataDirOf(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env.LICENSOR_DATA;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_DATA_DIR;
}

/** The embedded store's file under the data folder. */
export const SQLITE_FILE = 'licensor.db';
