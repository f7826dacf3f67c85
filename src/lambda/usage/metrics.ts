/**
 * Per-request CloudWatch metrics in Embedded Metric Format, built with Powertools' Metrics:
 * Requests, Latency, EngineLatency, BytesScanned and Rows, with low-cardinality dimensions
 * (`service`, `query`, `statusClass`) — a custom metric costs money per dimension combination,
 * so the client id is an EMF property (searchable and groupable in Logs Insights), not a dimension.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { usageConfig } from '../config.ts';
import { SERVICE_NAME } from '../log.ts';
import { statusClass, type AccessRecord } from './record.ts';

export const METRICS_NAMESPACE = 'lakegate';

let metrics: Metrics | undefined;

/** The EMF document of one request (pure apart from Powertools' timestamp). */
export function requestMetrics(r: AccessRecord): Record<string, unknown> {
  metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  try {
    metrics.addDimensions({ query: r.query ?? 'unknown', statusClass: statusClass(r.status) });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    metrics.addMetric('Latency', MetricUnit.Milliseconds, r.durationMs);
    if (r.engineMs !== null) metrics.addMetric('EngineLatency', MetricUnit.Milliseconds, r.engineMs);
    if (r.bytesScanned !== null) metrics.addMetric('BytesScanned', MetricUnit.Bytes, r.bytesScanned);
    if (r.rows !== null) metrics.addMetric('Rows', MetricUnit.Count, r.rows);
    if (r.clientId !== null) metrics.addMetadata('clientId', String(r.clientId));
    metrics.addMetadata('requestId', r.requestId);
    if (r.errorCode !== null) metrics.addMetadata('errorCode', r.errorCode);
    return metrics.serializeMetrics() as unknown as Record<string, unknown>;
  } finally {
    metrics.clearMetrics();
    metrics.clearDimensions();
    metrics.clearMetadata();
  }
}

/** Write the request's EMF document to stdout when metrics are on (AWS); CloudWatch extracts the metrics. */
export function publishRequestMetrics(r: AccessRecord): void {
  if (usageConfig().metrics === 'off') return;
  process.stdout.write(`${JSON.stringify(requestMetrics(r))}\n`);
}
