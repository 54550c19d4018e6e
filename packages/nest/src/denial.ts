import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Denial } from '@tollgate/core';

/** The core's denial as a Nest HttpException: status and RFC 9457 body; `denial` has the headers too. */
export class EntitlementDeniedException extends HttpException {
  constructor(readonly denial: Denial) {
    super(denial.body, denial.status, { cause: denial });
  }
}

/** Renders a denial as every Tollgate adapter does: its status, headers and `application/problem+json` body. */
@Catch(EntitlementDeniedException)
export class EntitlementDeniedFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: EntitlementDeniedException, host: ArgumentsHost): void {
    const http = this.adapterHost.httpAdapter;
    const res = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(exception.denial.headers)) http.setHeader(res, name, value);
    http.reply(res, JSON.stringify(exception.denial.body), exception.denial.status);
  }
}
