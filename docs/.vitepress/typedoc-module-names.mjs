// @ts-check
/**
 * TypeDoc plugin: names each entry point's module after its import path (`@tollgate/core/testing`), where TypeDoc
 * would name it after its file (`core/src/testing`). Subpaths whose file lives elsewhere are mapped by name.
 */
/** @type {Record<string, string>} */
const SUBPATHS = { 'core/telemetry/open-telemetry': 'core/opentelemetry', 'core/stigg/index': 'core/stigg' };
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const match = /(?:^|\/)([^/]+)\/src(?:\/(.+))?$/.exec(module.name);
      if (!match) continue;
      const path = [match[1], match[2]].filter(Boolean).join('/');
      module.name = `@tollgate/${SUBPATHS[path] ?? path}`;
    }
  });
}
