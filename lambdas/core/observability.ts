import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { OBSERVABILITY_SETTINGS } from './observability-settings.js';
import { environmentSource, readSettings } from './settings.js';

export const observability = readSettings(OBSERVABILITY_SETTINGS, environmentSource());
const { serviceName } = observability;

/** One structured logger for the whole function; handlers add per-request keys. */
export const logger = new Logger({ serviceName });

/**
 * CloudWatch metrics as embedded-metric-format log lines, flushed once per
 * invocation by the handler. `POWERTOOLS_METRICS_DISABLED=true` (local runs,
 * tests) keeps them out of the output.
 */
export const metrics = new Metrics({ namespace: observability.metricsNamespace, serviceName });

export type MetricName =
  | 'ConnectionsOpened'
  | 'ConnectionsRefused'
  | 'ConnectionsClosed'
  | 'MessagesSent'
  | 'FanOutRecipients'
  | 'PostsDelivered'
  | 'PostsFailed'
  | 'GoneConnectionsPurged'
  | 'FramesRejected'
  | 'FanOutAbandoned'
  | 'EventsOut'
  | 'EventsOutFailed'
  | 'Errors';

export function count(name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Writes the invocation's metrics, if it recorded any. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
