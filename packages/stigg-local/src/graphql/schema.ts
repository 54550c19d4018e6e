import { readFileSync } from 'node:fs';
import { buildSchema, extendSchema, type GraphQLObjectType, parse, type GraphQLSchema } from 'graphql';
import { StiggError } from '../errors.js';
import { packageFile } from '../package-files.js';
import { mutationResolvers, queryResolvers, type ResolverContext } from './resolvers.js';
import type { StreamTopics } from '../stream/topics.js';
import type { Stats } from '../control/stats.js';

/** Stigg's schema as the SDK uses it plus the extensions this project needs (`schema/`). */
export function loadStiggSdl(): { base: string; extensions: string } {
  return {
    base: readFileSync(packageFile('schema', 'schema.graphql'), 'utf8'),
    extensions: readFileSync(packageFile('schema', 'schema-extensions.graphql'), 'utf8'),
  };
}

export interface ExecutionContext extends ResolverContext {
  stats: Stats;
}

/** The executable schema: supported root fields resolve, every other one answers "not supported". */
export function createStiggSchema(topics: StreamTopics): GraphQLSchema {
  const { base, extensions } = loadStiggSdl();
  const schema = extendSchema(buildSchema(base), parse(extensions));
  const attach = (
    type: GraphQLObjectType | null | undefined,
    // biome-ignore lint/suspicious/noExplicitAny: each resolver's arguments, validated by the schema
    resolvers: Record<string, (args: any, ctx: ResolverContext) => unknown>,
  ) => {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const resolver = resolvers[field.name];
      field.resolve = (_root, args, ctx: ExecutionContext) => {
        ctx.stats.count(field.name);
        if (!resolver)
          throw new StiggError('UnsupportedParameter', `Operation ${field.name} is not supported by stigg-local`);
        // What became due as the clock moved (scheduled updates) applies before the operation reads or writes.
        ctx.store.settle();
        return resolver(args, ctx);
      };
    }
  };
  attach(schema.getQueryType(), queryResolvers);
  attach(schema.getMutationType(), mutationResolvers);
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    field.subscribe = (_root, _args, ctx: ExecutionContext) => {
      ctx.stats.count(field.name);
      return topics.subscribe(field.name as keyof StreamTopics['topics']);
    };
    field.resolve = (payload: unknown) => payload;
  }
  return schema;
}
