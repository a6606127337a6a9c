/**
 * The variables of Powertools' own that every function is given, with their
 * defaults: read by observability.ts and tracing.ts, written by
 * lib/function-definitions.ts. A module of their own, not config-settings.ts,
 * because the authorizer logs too and must not read the table's settings.
 */
import type { SettingsSchema } from './settings.js';

export const OBSERVABILITY_SETTINGS = {
  serviceName: { key: 'POWERTOOLS_SERVICE_NAME', kind: 'string', default: 'realtime', doc: 'the service every log line, metric and trace names' },
  metricsNamespace: { key: 'POWERTOOLS_METRICS_NAMESPACE', kind: 'string', default: 'Realtime', doc: 'the CloudWatch namespace of the metrics' },
  tracing: { key: 'POWERTOOLS_TRACE_ENABLED', kind: 'boolean', default: false, doc: "X-Ray capture of the function's AWS calls; on with the deployment's tracing" },
} as const satisfies SettingsSchema;
