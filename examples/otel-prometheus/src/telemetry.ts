/**
 * The application's OpenTelemetry metrics SDK: one MeterProvider whose reader is a Prometheus exporter. The exporter
 * starts no server of its own: the app serves its scrape output at GET /metrics.
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

export interface Metrics {
  meterProvider: MeterProvider;
  prometheus: PrometheusExporter;
}

export function setUpMetrics(serviceName: string): Metrics {
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    readers: [prometheus],
  });
  return { meterProvider, prometheus };
}
