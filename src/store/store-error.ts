/**
 * One typed error for every store failure, classified once, where the failure happens: either ClickHouse refused
 * the rows themselves (`bad_data`: retrying the same bytes can never succeed, so the writer isolates and sets them
 * aside) or the store could not take them now (`unavailable`: retry the same rows later, lose nothing). Both
 * backends fail differently: the embedded engine (chdb) throws errors carrying a numeric `clickhouseCode`,
 * `@clickhouse/client` over HTTP throws its `ClickHouseError` with the code as a decimal string, and the network
 * throws errors with no ClickHouse code at all (ECONNREFUSED, socket hang up, timeouts, a 5xx from a proxy).
 *
 * The codes and names are ClickHouse's (src/Common/ErrorCodes.cpp; the test checks every name against
 * `errorCodeToName` on the embedded engine). A code in neither table is retried as unavailable: retrying rows
 * that are fine costs only time, dead-lettering them would lose them.
 */

export type StoreErrorKind = 'bad_data' | 'unavailable';

/**
 * ClickHouse refused the data: a parse or conversion error on the rows. Some of these can also describe a transfer
 * cut short (CANNOT_READ_ALL_DATA, ATTEMPT_TO_READ_AFTER_EOF), which is why the writer sets a row aside only after
 * it failed alone, twice.
 */
export const dataErrorCodes: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [32, 'ATTEMPT_TO_READ_AFTER_EOF'],
  [33, 'CANNOT_READ_ALL_DATA'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [128, 'TOO_LARGE_ARRAY_SIZE'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [632, 'UNEXPECTED_DATA_AFTER_PARSED_VALUE'],
]);

/**
 * The store is overloaded, out of resources, unreachable or not ready (a replica or Keeper down, the schema not
 * migrated yet, credentials being rotated): the same rows will go in once it recovers.
 */
export const unavailableErrorCodes: ReadonlyMap<number, string> = new Map([
  [60, 'UNKNOWN_TABLE'],
  [81, 'UNKNOWN_DATABASE'],
  [159, 'TIMEOUT_EXCEEDED'],
  [160, 'TOO_SLOW'],
  [164, 'READONLY'],
  [173, 'CANNOT_ALLOCATE_MEMORY'],
  [202, 'TOO_MANY_SIMULTANEOUS_QUERIES'],
  [203, 'NO_FREE_CONNECTION'],
  [209, 'SOCKET_TIMEOUT'],
  [210, 'NETWORK_ERROR'],
  [225, 'NO_ZOOKEEPER'],
  [236, 'ABORTED'],
  [241, 'MEMORY_LIMIT_EXCEEDED'],
  [242, 'TABLE_IS_READ_ONLY'],
  [243, 'NOT_ENOUGH_SPACE'],
  [252, 'TOO_MANY_PARTS'],
  [279, 'ALL_CONNECTION_TRIES_FAILED'],
  [285, 'TOO_FEW_LIVE_REPLICAS'],
  [319, 'UNKNOWN_STATUS_OF_INSERT'],
  [364, 'RECEIVED_ERROR_TOO_MANY_REQUESTS'],
  [394, 'QUERY_WAS_CANCELLED'],
  [425, 'SYSTEM_ERROR'],
  [439, 'CANNOT_SCHEDULE_TASK'],
  [497, 'ACCESS_DENIED'],
  [516, 'AUTHENTICATION_FAILED'],
  [999, 'KEEPER_EXCEPTION'],
]);

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly kind: StoreErrorKind;
  /** ClickHouse's error code (`Code: 27.`); undefined when the failure never reached ClickHouse (network). */
  readonly clickhouseCode: number | undefined;
  /** ClickHouse's name for the code (`CANNOT_PARSE_INPUT_ASSERTION_FAILED`), when known. */
  readonly clickhouseCodeName: string | undefined;

  constructor(options: {
    kind: StoreErrorKind;
    message: string;
    clickhouseCode?: number | undefined;
    clickhouseCodeName?: string | undefined;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.kind = options.kind;
    this.clickhouseCode = options.clickhouseCode;
    this.clickhouseCodeName = options.clickhouseCodeName;
  }
}

/** The ClickHouse code of a failure from either backend, or undefined when it carries none. */
function clickhouseCodeOf(error: unknown, message: string): number | undefined {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as {
    clickhouseCode?: unknown;
    code?: unknown;
  };
  // chdb: a number. @clickhouse/client: a decimal string (network errors have codes like 'ECONNREFUSED' instead).
  const candidates = [failure.clickhouseCode, failure.code, /^Code: (\d+)\./.exec(message)?.[1]];
  for (const candidate of candidates) {
    const code =
      typeof candidate === 'number'
        ? candidate
        : typeof candidate === 'string' && /^\d+$/.test(candidate)
          ? Number(candidate)
          : undefined;
    if (code !== undefined && Number.isSafeInteger(code)) return code;
  }
  return undefined;
}

/** ClickHouse's name for a code the tables above lack: `ClickHouseError.type`, else the `(NAME)` ending its message. */
function codeNameOf(error: unknown, message: string): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && /^[A-Z][A-Z0-9_]+$/.test(type)) return type;
  return /\(([A-Z][A-Z0-9_]{2,})\)(?: \(version [^)]*\))?\.?\s*$/.exec(message)?.[1];
}

/** Classifies anything either store backend threw; a StoreError passes through unchanged. */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const clickhouseCode = clickhouseCodeOf(error, message);
  if (clickhouseCode === undefined) {
    // No ClickHouse code: the request never got a ClickHouse answer (connection refused or reset, timeout, a proxy's
    // 5xx page, the embedded session closed).
    return new StoreError({ kind: 'unavailable', message, cause: error });
  }
  const dataErrorName = dataErrorCodes.get(clickhouseCode);
  if (dataErrorName !== undefined) {
    return new StoreError({
      kind: 'bad_data',
      message,
      clickhouseCode,
      clickhouseCodeName: dataErrorName,
      cause: error,
    });
  }
  // Known unavailable codes, and every code this module does not know (named from the error itself): retried.
  const clickhouseCodeName = unavailableErrorCodes.get(clickhouseCode) ?? codeNameOf(error, message);
  return new StoreError({ kind: 'unavailable', message, clickhouseCode, clickhouseCodeName, cause: error });
}
