import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  /** Requests completed in the run. */
  requests: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** Drives one HTTP endpoint with autocannon for a fixed time. */
export async function load(options: {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  durationSeconds?: number;
  connections?: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    duration: options.durationSeconds ?? 3,
    connections: options.connections ?? 20,
    pipelining: 1,
  });
  return {
    // Over the run's own duration: autocannon's per-second average needs runs of whole seconds.
    requestsPerSecond: result.requests.total / Math.max(1e-3, result.duration),
    requests: result.requests.total,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
