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
 * that are fine costs only time, dead-lettering them would set them aside. But nothing a client sends may keep the
 * writer retrying forever, so an `unavailable` error is also marked `storeWide` or not: only a failure that
 * describes the store whatever rows were sent (down, read-only, out of disk, Keeper, credentials, schema not
 * migrated yet, the server's total memory exhausted) is retried without limit. Memory limits of one query, time
 * limits, schema mismatches and every code this module does not know may be caused by one batch, so the writer
 * retries them a bounded number of times and then, if the store still answers, isolates the batch row by row,
 * blaming a row for such an error only when other rows of the batch go in (collector/ingest/row-isolation.ts).
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
  // Values the statement cannot take or compute with: too deep, too large, malformed in a type of their own.
  [3, 'UNEXPECTED_END_OF_FILE'],
  [7, 'INCORRECT_NUMBER_OF_COLUMNS'],
  [36, 'BAD_ARGUMENTS'],
  [92, 'EMPTY_DATA_PASSED'],
  [108, 'NO_DATA_TO_INSERT'],
  [153, 'ILLEGAL_DIVISION'],
  [190, 'SIZES_OF_ARRAYS_DONT_MATCH'],
  [306, 'TOO_DEEP_RECURSION'],
  [307, 'TOO_MANY_BYTES'],
  [346, 'CANNOT_CONVERT_CHARSET'],
  [376, 'CANNOT_PARSE_UUID'],
  [395, 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO'],
  [407, 'DECIMAL_OVERFLOW'],
  [441, 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING'],
  [467, 'CANNOT_PARSE_BOOL'],
  [675, 'CANNOT_PARSE_IPV4'],
  [676, 'CANNOT_PARSE_IPV6'],
  [691, 'UNKNOWN_ELEMENT_OF_ENUM'],
]);

/**
 * TOO_MANY_PARTS means two things: one insert block spread over more partitions than allowed (the rows' fault: a
 * smaller piece of the batch goes in), or merges falling behind inserts (the store's: wait). Only the message tells.
 */
const tooManyPartsCode = 252;
const tooManyPartitionsInBlock = /too many partitions for single insert block/i;

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
  [745, 'SERVER_OVERLOADED'],
  [999, 'KEEPER_EXCEPTION'],
]);

/**
 * Unavailable codes one batch can cause by itself (its size against memory or time limits, an OS error while it
 * was written): retried, but not forever (see `StoreError.storeWide`).
 */
export const batchMayCauseCodes: ReadonlySet<number> = new Set([159, 160, 173, 209, 241, 425]);

/**
 * MEMORY_LIMIT_EXCEEDED names the limit that was hit: `Memory limit (for query) exceeded` may be one batch's size,
 * `Memory limit (total) exceeded` is the whole server's memory pressure, whatever this batch holds.
 */
const memoryLimitExceededCode = 241;
const serverWideMemoryLimit = /memory limit \(total\) exceeded/i;

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly kind: StoreErrorKind;
  /** ClickHouse's error code (`Code: 27.`); undefined when the failure never reached ClickHouse (network). */
  readonly clickhouseCode: number | undefined;
  /** ClickHouse's name for the code (`CANNOT_PARSE_INPUT_ASSERTION_FAILED`), when known. */
  readonly clickhouseCodeName: string | undefined;
  /**
   * True when the failure describes the store whatever rows were sent (down, read-only, out of disk, Keeper,
   * credentials, schema not migrated yet, the server's total memory limit): retrying is the only answer, for as long as it takes. False for bad data
   * and for unavailable failures a batch may cause itself (memory or time limits, schema mismatches, network errors
   * without a ClickHouse answer, codes this module does not know), which the writer retries only a bounded number of
   * times while the store otherwise answers.
   */
  readonly storeWide: boolean;

  constructor(options: {
    kind: StoreErrorKind;
    message: string;
    clickhouseCode?: number | undefined;
    clickhouseCodeName?: string | undefined;
    storeWide?: boolean;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.kind = options.kind;
    this.clickhouseCode = options.clickhouseCode;
    this.clickhouseCodeName = options.clickhouseCodeName;
    this.storeWide = options.kind === 'unavailable' && (options.storeWide ?? false);
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
    // 5xx page, the embedded session closed). Usually the store is down, but a batch too large for a proxy or a
    // request timeout fails the same way, so it is not store-wide: the writer tells the two apart by asking the store.
    return new StoreError({ kind: 'unavailable', message, cause: error });
  }
  const dataErrorName =
    dataErrorCodes.get(clickhouseCode) ??
    (clickhouseCode === tooManyPartsCode && tooManyPartitionsInBlock.test(message) ? 'TOO_MANY_PARTS' : undefined);
  if (dataErrorName !== undefined) {
    return new StoreError({
      kind: 'bad_data',
      message,
      clickhouseCode,
      clickhouseCodeName: dataErrorName,
      cause: error,
    });
  }
  // Known unavailable codes, and every code this module does not know (named from the error itself): retried; only
  // the known ones a batch cannot cause are retried without limit.
  const knownName = unavailableErrorCodes.get(clickhouseCode);
  const clickhouseCodeName = knownName ?? codeNameOf(error, message);
  const storeWide =
    knownName !== undefined &&
    (!batchMayCauseCodes.has(clickhouseCode) ||
      (clickhouseCode === memoryLimitExceededCode && serverWideMemoryLimit.test(message)));
  return new StoreError({ kind: 'unavailable', message, clickhouseCode, clickhouseCodeName, storeWide, cause: error });
}
