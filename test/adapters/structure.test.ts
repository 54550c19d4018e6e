/**
 * The adapters stay thin: one file each (Nest: a fixed set of files), importing only their framework and
 * @tollgate/core's public entry. Line width is the formatter's business (biome.json), not a line budget's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTollgate } from '@tollgate/core';
import * as ex from '@tollgate/express';
import * as ho from '@tollgate/hono';
import * as fa from '@tollgate/fastify';
import Fastify from 'fastify';

/** Each adapter's file, the imports allowed besides core, and how its settings are given (sync, or at register). */
const sources = {
  express: {
    file: 'packages/express/src/index.ts',
    framework: /^express$/,
    settle: async (o: object) => void ex.entitlements(o as never),
  },
  hono: {
    file: 'packages/hono/src/index.ts',
    framework: /^hono(\/[a-z-]+)?$/,
    settle: async (o: object) => void ho.entitlements(o as never),
  },
  fastify: {
    file: 'packages/fastify/src/index.ts',
    framework: /^fastify(-plugin)?$/,
    settle: async (o: object) =>
      void (await Fastify()
        .register(fa.tollgate, o as never)
        .ready()),
  },
};

describe.each(Object.entries(sources))('%s adapter', (_name, { file, framework, settle }) => {
  const text = readFileSync(file, 'utf8');

  it('imports only its framework and @tollgate/core', () => {
    const specifiers = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    expect(specifiers.filter((s) => s !== '@tollgate/core' && !framework.test(s))).toEqual([]);
  });

  it('requires a customer resolver: no default trusts a client header', async () => {
    const client = createTollgate({ offline: true, logger: { warn: () => {}, error: () => {} } });
    await expect(settle({ client })).rejects.toThrow(/customerId.*no default trusts a client header/);
    await expect(settle({ customerId: () => 'x' })).rejects.toThrow(/client/);
  });
});

describe('nest adapter', () => {
  it('is a fixed set of files, talking to Stigg, Redis and GraphQL only through @tollgate/core', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('packages/nest/src').filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual([
      'decorators.ts',
      'denial.ts',
      'guard.ts',
      'index.ts',
      'metadata.ts',
      'module.ts',
      'options.ts',
      'request-state.ts',
    ]);
    for (const file of files) {
      const text = readFileSync(`packages/nest/src/${file}`, 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import) '([^']+)'/g)].map((m) => m[1]!);
      const foreign = specifiers.filter(
        (s) =>
          !s.startsWith('./') &&
          !['@tollgate/core', 'rxjs', 'reflect-metadata'].includes(s) &&
          !s.startsWith('@nestjs/'),
      );
      expect(foreign, file).toEqual([]);
    }
  });
});
