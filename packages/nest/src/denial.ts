import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { replayOnNodeResponse, type Denial, type RecordedResponse } from '@tollgate/core';

type NodeReplayTarget = Parameters<typeof replayOnNodeResponse>[0];

/** The core's denial as a Nest HttpException: status and RFC 9457 body; `denial` has the headers too. */
export class EntitlementDeniedException extends HttpException {
  constructor(readonly denial: Denial) {
    super(denial.body, denial.status, { cause: denial });
  }
}

/** A retry of a committed request: its recorded response is sent again instead of running the handler. */
export class ReplayedResponse extends HttpException {
  constructor(readonly recorded: RecordedResponse) {
    super('replayed', recorded.status);
  }
}

/**
 * Renders a denial as every Tollgate adapter does (its status, headers and `application/problem+json` body), and
 * a replayed response as it was recorded (marked `idempotent-replayed: true`).
 */
@Catch(EntitlementDeniedException, ReplayedResponse)
export class EntitlementDeniedFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: EntitlementDeniedException | ReplayedResponse, host: ArgumentsHost): void {
    const http = this.adapterHost.httpAdapter;
    const res = host.switchToHttp().getResponse();
    if (exception instanceof ReplayedResponse) {
      // Written on the Node response as recorded (bytes, not re-serialized); Fastify is told the reply is taken over.
      const reply = res as { raw?: NodeReplayTarget; hijack?(): void } & NodeReplayTarget;
      reply.hijack?.();
      replayOnNodeResponse(reply.raw ?? reply, exception.recorded);
      return;
    }
    for (const [name, value] of Object.entries(exception.denial.headers)) http.setHeader(res, name, value);
    http.reply(res, JSON.stringify(exception.denial.body), exception.denial.status);
  }
}
