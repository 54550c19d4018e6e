import { startStiggLocal, type StiggLocal, type StiggLocalOptions } from '@tollgate/stigg-local';

export const API_KEY = 'server-tollgate-local';

/** A stigg-local on a free port; `close()` it in afterEach/afterAll. */
export function start(options: StiggLocalOptions = {}): Promise<StiggLocal> {
  return startStiggLocal({ log: process.env.STIGG_LOCAL_DEBUG ? (m) => console.error(m) : () => {}, ...options });
}

export interface GqlResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions: { code: string; traceId: string } }[];
}

/** One GraphQL request over real HTTP. */
export async function gql<T = any>(
  server: StiggLocal,
  query: string,
  variables?: Record<string, unknown>,
  apiKey = API_KEY,
): Promise<GqlResponse<T>> {
  const res = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GqlResponse<T>;
  return { ...body, status: res.status };
}

/** Like `gql` but fails the test on any error. */
export async function gqlOk<T = any>(
  server: StiggLocal,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const r = await gql<T>(server, query, variables);
  if (r.errors?.length || r.status !== 200)
    throw new Error(`GraphQL failed (${r.status}): ${JSON.stringify(r.errors)}`);
  return r.data as T;
}

export const ENTITLEMENTS = `query E($customerId: String!, $resourceId: String) {
  entitlements: cachedEntitlements(query: {customerId: $customerId, resourceId: $resourceId}) {
    isGranted accessDeniedReason usageLimit hasUnlimitedUsage hasSoftLimit currentUsage enumValues resetPeriod
    usagePeriodAnchor usagePeriodStart usagePeriodEnd nextResetDate feature { refId featureType meterType } } }`;

export interface EntitlementRow {
  isGranted: boolean;
  accessDeniedReason: string | null;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean;
  currentUsage: number | null;
  enumValues: string[] | null;
  resetPeriod: string | null;
  usagePeriodAnchor: string | null;
  usagePeriodStart: string | null;
  usagePeriodEnd: string | null;
  nextResetDate: string | null;
  feature: { refId: string; featureType: string; meterType: string | null };
}

/** A customer's entitlements keyed by feature id. */
export async function entitlements(
  server: StiggLocal,
  customerId: string,
  resourceId?: string,
): Promise<Record<string, EntitlementRow>> {
  const data = await gqlOk<{ entitlements: EntitlementRow[] }>(server, ENTITLEMENTS, { customerId, resourceId });
  return Object.fromEntries(data.entitlements.map((e) => [e.feature.refId, e]));
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
