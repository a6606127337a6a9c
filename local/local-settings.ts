/**
 * What the local stack reads from its environment, and what `npm start`
 * reads besides, with their local defaults. `npm start --help` is printed
 * from these tables, so the help cannot drift from what is read.
 */
import { AUTH_SETTINGS } from '../lambdas/core/auth/auth-settings.js';
import { CONFIG_SETTINGS } from '../lambdas/core/config-settings.js';
import type { SettingsSchema } from '../lambdas/core/settings.js';

/**
 * What `startLocalStack` reads, whoever starts it (npm start, tests,
 * benchmarks): the functions' own variables, with local defaults, which it
 * passes on to them.
 */
export const LOCAL_STACK_SETTINGS = {
  tableName: { key: CONFIG_SETTINGS.tableName.key, kind: 'string', default: 'realtime-local', doc: 'the table, made in DynamoDB Local at start' },
  jwtSecret: {
    key: AUTH_SETTINGS.secret.key,
    kind: 'string',
    doc: `the HS256 secret tokens are signed and verified with; unset (and no ${AUTH_SETTINGS.jwksUrl.key}): a public development one`,
  },
  jwksUrl: AUTH_SETTINGS.jwksUrl,
  issuer: AUTH_SETTINGS.issuer,
  audience: AUTH_SETTINGS.audience,
  logLevel: { key: 'POWERTOOLS_LOG_LEVEL', kind: 'string', default: 'WARN', doc: "the functions' log level; INFO shows every handler's structured log" },
  eventBusName: {
    key: CONFIG_SETTINGS.eventBusName.key,
    kind: 'string',
    default: 'realtime-local',
    // Empty, it is a value: it turns events out off.
    allowEmpty: true,
    doc: 'the local bus events out go to; set it empty to turn events out off',
  },
  eventSource: CONFIG_SETTINGS.eventSource,
} as const satisfies SettingsSchema;

/** `npm start`'s own settings (where it listens, the gateway's timeouts), then the local stack's. */
export const NPM_START_SETTINGS = {
  // Non-negative: 0 asks for any free port, as the tests' stacks do.
  port: { key: 'PORT', kind: 'nonNegativeInt', default: 3001, doc: 'the local API Gateway: WebSocket, Management and admin APIs, demo page' },
  dynamoDbPort: { key: 'DYNAMODB_PORT', kind: 'positiveInt', default: 8000, doc: "DynamoDB Local's port" },
  connectionIdleSeconds: CONFIG_SETTINGS.connectionIdleSeconds,
  connectionMaxSeconds: CONFIG_SETTINGS.connectionMaxSeconds,
  ...LOCAL_STACK_SETTINGS,
} as const satisfies SettingsSchema;

/** One line per setting: `KEY=default` (or `KEY` when it has none) and its doc. */
export function settingsHelp(schema: SettingsSchema): string {
  const lines = Object.values(schema).map((setting) => {
    const shown = Array.isArray(setting.default) ? setting.default.join(',') : setting.default;
    return { name: shown === undefined ? setting.key : `${setting.key}=${String(shown)}`, doc: setting.doc };
  });
  const width = Math.max(...lines.map(({ name }) => name.length));
  return lines.map(({ name, doc }) => `  ${name.padEnd(width)}  ${doc}`).join('\n');
}
