/**
 * An error Stigg would answer, with one of Stigg's `ErrorCode`s. The GraphQL layer renders it as
 * `{message, extensions: {code, traceId}}`; nothing else about it (no stack) leaves the server.
 */
export class StiggError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StiggError';
  }
}

export const notFound = (code: string, what: string, id: string) => new StiggError(code, `${what} not found: ${id}`);
export const badInput = (message: string) => new StiggError('BadUserInput', message);
