/**
 * What the docs' TypeScript samples take from the reader's own application, declared for `npm run docs:check`
 * (check-samples.ts). A sample that declares a name of its own shadows these.
 */
import type { Decision, Tollgate } from '@tollgate/core';
import type { RequestHandler } from 'express';
import type { MiddlewareHandler } from 'hono';

declare global {
  /** The app's authentication middleware (Express or Hono): it sets `req.user` / `c.get('orgId')`. */
  const authenticate: RequestHandler & MiddlewareHandler;
  /** The app's authentication for Fastify: the customer of a request. */
  function orgOf(req: unknown): string | undefined;
  /** The app's work behind a metered route. */
  function makeReport(): { report: string };
  function handler(): Promise<{ cost: number }>;
  /** The app's answer to a denied request. */
  function deny(decision: Decision): never;
  /** A client created earlier with `createTollgate`. */
  const tollgate: Tollgate;
  /** @nestjs/config */
  class ConfigModule {}
  class ConfigService {
    get<T = string>(key: string): T | undefined;
  }

  namespace Express {
    interface Request {
      /** Set by `authenticate`. */
      user?: { orgId: string };
    }
  }
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `authenticate`. */
    orgId: string;
  }
}
