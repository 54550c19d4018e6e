import { randomUUID } from 'node:crypto';
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { StiggError } from '../errors.js';
import type { ExecutionContext } from './schema.js';

export interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Root field names the operation selects (aliases resolved), for stats, faults and rate limits. */
  fields: string[];
  /** Customer ids written as literals in the document (`customerId: "..."`), for per-customer rate limits. */
  literalCustomers: string[];
}

export interface WireError {
  message: string;
  path?: readonly (string | number)[];
  extensions: { code: string; traceId: string };
}

export const wireError = (code: string, message: string): WireError => ({
  message,
  extensions: { code, traceId: randomUUID() },
});

/** Renders any error as Stigg does: message and `extensions.code`; never a stack trace. */
export function toWireError(err: GraphQLError | Error, log: (msg: string) => void): WireError {
  const original = err instanceof GraphQLError ? err.originalError : err;
  const path = err instanceof GraphQLError ? err.path : undefined;
  if (original instanceof StiggError)
    return { ...wireError(original.code, original.message), ...(path ? { path } : {}) };
  // graphql-js's own errors: validation, and variables that do not fit their types (a scalar or enum refusing a
  // value arrives wrapped, its GraphQLError as `originalError`). Stigg answers these BadUserInput, with the message.
  if (err instanceof GraphQLError && (!original || original instanceof GraphQLError))
    return { ...wireError('BadUserInput', err.message), ...(path ? { path } : {}) };
  log(`stigg-local: unexpected error: ${original?.stack ?? String(original)}`);
  return { ...wireError('UnexpectedError', 'Unexpected error'), ...(path ? { path } : {}) };
}

const MAX_CACHED_QUERY_LENGTH = 64 * 1024;

/** Parses and validates each distinct query once; Stigg clients send the same few documents over and over. */
export class Executor {
  private readonly cache = new Map<string, PreparedOperation | readonly GraphQLError[]>();

  constructor(
    readonly schema: GraphQLSchema,
    private readonly log: (msg: string) => void,
    private readonly maxCached = 1000,
  ) {}

  /** Documents kept. */
  get cached(): number {
    return this.cache.size;
  }

  /** The operation to run, or the errors that make the request a 400. */
  prepare(query: string, operationName?: string | null): PreparedOperation | readonly GraphQLError[] {
    const key = `${operationName ?? ''}\u0000${query}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let result: PreparedOperation | readonly GraphQLError[];
    try {
      const document = parse(query);
      const errors = validate(this.schema, document);
      const operation = getOperationAST(document, operationName);
      if (errors.length > 0) result = errors;
      else if (!operation)
        result = [new GraphQLError(`Unknown operation ${operationName ?? '(none given, several in the document)'}`)];
      else {
        const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
        const literalCustomers: string[] = [];
        visit(operation, {
          ObjectField(node) {
            if (node.name.value === 'customerId' && node.value.kind === Kind.STRING)
              literalCustomers.push(node.value.value);
          },
        });
        result = { document, operation, fields, literalCustomers };
      }
    } catch (err) {
      result = [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
    }
    // Only valid documents of a sensible size are kept: invalid or huge queries must not fill memory.
    if (!('document' in result) || query.length > MAX_CACHED_QUERY_LENGTH) return result;
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, result);
    return result;
  }

  async run(
    prepared: PreparedOperation,
    variables: Record<string, unknown> | null | undefined,
    context: ExecutionContext,
  ): Promise<{ data?: unknown; errors?: WireError[] }> {
    const result = (await execute({
      schema: this.schema,
      document: prepared.document,
      operationName: prepared.operation.name?.value,
      variableValues: variables ?? undefined,
      contextValue: context,
    })) as ExecutionResult;
    return this.render(result);
  }

  render(result: ExecutionResult): { data?: unknown; errors?: WireError[] } {
    if (!result.errors?.length) return { data: result.data };
    return { data: result.data ?? null, errors: result.errors.map((e) => toWireError(e, this.log)) };
  }
}
