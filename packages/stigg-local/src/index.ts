/**
 * @tollgate/stigg-local: a Stigg-compatible server for development, tests and demos.
 */

// Server
export { startStiggLocal, DEFAULT_API_KEY } from './server.js';
export type { StiggLocal, StiggLocalOptions } from './server.js';

// Admin surface
export type { StiggLocalAdmin } from './control/admin.js';
export type { FaultSpec } from './control/faults.js';
export type { RateLimitSettings } from './control/rate-limits.js';
export { STIGG_LIMITS } from './control/rate-limits.js';
export type { StatsSnapshot, RateLimitedCounts } from './control/stats.js';
export type { WritePeaks } from './control/write-stats.js';

// Catalog
export { loadCatalogFile, loadDemoCatalog, demoCatalogPath } from './catalog/load.js';
export { validateCatalog, CatalogError } from './catalog/validate.js';
export type * from './catalog/types.js';

// Schema (the project's copy of Stigg's SDL, for clients that validate their documents against it)
export { loadStiggSdl } from './graphql/schema.js';
