/** Every code a Tollgate error can carry. Switch on `code`, not on the class or the message. */
export type TollgateErrorCode =
  /** An option is missing or wrong; thrown by `createTollgate`. */
  | 'CONFIG_INVALID'
  /** Stigg refused the API key. */
  | 'UNAUTHENTICATED'
  /** Stigg asked us to slow down (HTTP 429 or `RateLimitExceeded`). */
  | 'RATE_LIMITED'
  /** Stigg answered with an error of its own (`stiggCode` says which). */
  | 'STIGG_ERROR'
  /** Stigg could not be reached, answered 5xx, or did not answer in time. */
  | 'UNAVAILABLE'
  /** A call was made with arguments that cannot be right (an empty customer id, ...). */
  | 'INVALID_REQUEST'
  /** The client was closed. */
  | 'CLOSED';

/** The one error base class: a closed set of codes, the underlying `cause` attached, never the API key. */
export class TollgateError extends Error {
  override readonly name: string = 'TollgateError';
  constructor(
    readonly code: TollgateErrorCode,
    message: string,
    options: { cause?: unknown; stiggCode?: string; retryable?: boolean; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.stiggCode = options.stiggCode;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
  }
  /** Stigg's `ErrorCode` (`CustomerNotFound`, `PlanNotFound`, ...) when Stigg answered one. */
  readonly stiggCode: string | undefined;
  /** Whether repeating the same call may succeed (network errors, 5xx, rate limits). */
  readonly retryable: boolean;
  /** HTTP status of Stigg's answer, when there was one. */
  readonly status: number | undefined;
}

/** Invalid options; thrown at construction so a misconfiguration fails at startup, not on a request. */
export class ConfigError extends TollgateError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** An answer from Stigg that is an error (GraphQL `errors`, a non-2xx status), or no answer at all. */
export class StiggApiError extends TollgateError {
  override readonly name = 'StiggApiError';
}

export function isTollgateError(err: unknown): err is TollgateError {
  return err instanceof TollgateError;
}
