/**
 * The deployment's settings, read from CDK context (`cdk.json`, `-c key=value`)
 * and checked before a single construct exists, so a wrong or missing value
 * stops `cdk synth` with a message naming the key instead of producing a stack
 * that fails (or, worse, lets anyone in) once deployed.
 */
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import { readSettings, type Settings, type SettingsSchema, type SettingsSource } from '../lambdas/core/settings.js';

/** How the `$connect` authorizer gets its verification key (one of the two, never both). */
export type AuthSettings =
  | {
      /** HS256: the shared secret lives in Secrets Manager; only its ARN is configured. */
      readonly kind: 'secrets-manager';
      /** The secret's complete ARN, including the six-character suffix Secrets Manager adds. */
      readonly secretArn: string;
      /** Required `iss` claim. @default - any issuer */
      readonly issuer?: string;
      /** Required `aud` claim. @default - any audience */
      readonly audience?: string;
    }
  | {
      /** RS256/ES256: an issuer's public keys (e.g. a Cognito user pool's JWKS). */
      readonly kind: 'jwks';
      /** https URL of the issuer's JSON Web Key Set. */
      readonly jwksUrl: string;
      /** Required `iss` claim: an issuer's keys sign tokens for all its clients, so it is mandatory here. */
      readonly issuer: string;
      /** Required `aud` claim. @default - any audience */
      readonly audience?: string;
    };

export interface StackSettings {
  /** API Gateway stage name; also names the stack (`realtime-<stage>`). @default 'dev' */
  readonly stage: string;
  /** What happens to the table and log groups when the stack is deleted. @default DESTROY for 'dev', RETAIN otherwise */
  readonly removalPolicy: RemovalPolicy;
  readonly auth: AuthSettings;
  /** WebSocket stage default route throttling. @default 500 */
  readonly throttlingBurstLimit: number;
  /** WebSocket stage default route throttling, requests per second. @default 1000 */
  readonly throttlingRateLimit: number;
  /** POWERTOOLS_LOG_LEVEL of every function. @default 'INFO' */
  readonly logLevel: LogLevel;
  /** X-Ray active tracing on every function. @default false */
  readonly tracing: boolean;
  /** Email address subscribed to an SNS topic every alarm notifies. @default - no topic */
  readonly alarmEmail?: string;
  /** EventBridge `source` the publish rule requires. @default - any source with the detail-type */
  readonly eventSource?: string;
  /** Put presence and occupancy events on the default event bus (docs/events.md). @default false */
  readonly eventsOut: boolean;
  /**
   * Set API Gateway's account-level CloudWatch Logs role (AWS::ApiGateway::Account)
   * in this stack. WebSocket stage access logging is refused without it.
   * @default true
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /** Deploy to this account and region. @default - environment-agnostic (synth needs no credentials) */
  readonly account?: string;
  readonly region?: string;
}

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every context key the app reads but the key source's, with the default it
 * falls back to: the one list docs/deploy.md follows, and the defaults of the
 * construct's props (lib/realtime-api.ts).
 */
export const CONTEXT_SETTINGS = {
  stage: { key: 'stage', kind: 'string', default: 'dev', doc: 'API Gateway stage name; the stack is realtime-<stage>' },
  removalPolicy: { key: 'removalPolicy', kind: 'enum', values: ['destroy', 'retain'], doc: 'the table, log groups and queues when the stack goes; destroy for dev, retain otherwise' },
  throttlingBurstLimit: { key: 'throttlingBurstLimit', kind: 'positiveInt', default: 500, doc: "the WebSocket stage's default route throttling: burst" },
  throttlingRateLimit: { key: 'throttlingRateLimit', kind: 'positiveInt', default: 1000, doc: "the WebSocket stage's default route throttling: requests per second" },
  logLevel: { key: 'logLevel', kind: 'enum', values: LOG_LEVELS, upperCase: true, default: 'INFO', doc: "every function's POWERTOOLS_LOG_LEVEL" },
  tracing: { key: 'tracing', kind: 'boolean', default: false, doc: 'X-Ray active tracing on every function' },
  alarmEmail: { key: 'alarmEmail', kind: 'string', doc: 'an email address subscribed to an SNS topic every alarm notifies' },
  eventSource: { key: 'eventSource', kind: 'string', doc: 'the EventBridge source the publish rule requires; any source when unset' },
  eventsOut: { key: 'eventsOut', kind: 'boolean', default: false, doc: 'presence and occupancy events on the default event bus' },
  apiGatewayCloudWatchRole: { key: 'apiGatewayCloudWatchRole', kind: 'boolean', default: true, doc: "set API Gateway's account-level CloudWatch Logs role in this stack" },
  account: { key: 'account', kind: 'string', doc: 'deploy to this account (12 digits); environment-agnostic when unset' },
  region: { key: 'region', kind: 'string', doc: 'deploy to this region' },
} as const satisfies SettingsSchema;

/** The keys that say how the authorizer verifies tokens: CDK context, or the construct's `auth` prop. */
const AUTH_CONTEXT_SETTINGS = {
  jwtSecretArn: { key: 'jwtSecretArn', kind: 'string', doc: 'HS256: the complete ARN of the Secrets Manager secret (with its 6-character suffix)' },
  jwksUrl: { key: 'jwksUrl', kind: 'string', doc: "RS256/ES256: the https URL of an issuer's JSON Web Key Set" },
  issuer: { key: 'issuer', kind: 'string', doc: 'the iss claim required (required with jwksUrl)' },
  audience: { key: 'audience', kind: 'string', doc: 'the aud claim required' },
  exampleAuth: { key: 'exampleAuth', kind: 'boolean', default: false, doc: 'with no key source given, an example secret ARN (npm run synth)' },
} as const satisfies SettingsSchema;

/** A context value that cannot be used; the message names the key and what to do. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/** What `node.tryGetContext` gives: a string from `-c`, anything JSON from cdk.json. */
export type ContextReader = (key: string) => unknown;

/** Where the key source's settings come from, named as their user wrote them. */
export interface AuthSettingsSource extends SettingsSource {
  /** The ways to give a key source, for the message that finds none (or both). */
  readonly example: string;
}

function contextSource(context: ContextReader): AuthSettingsSource {
  return {
    get: context,
    name: (key) => `context "${key}"`,
    example:
      '  -c jwtSecretArn=arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>   (HS256, secret in Secrets Manager)\n' +
      '  -c jwksUrl=https://<issuer>/.well-known/jwks.json -c issuer=https://<issuer>   (RS256/ES256, e.g. Cognito)\n' +
      '(optional: -c audience=<aud>; with jwtSecretArn also -c issuer=<iss>)',
  };
}

/** Reads and checks every setting; throws StackConfigError on the first bad one. */
export function readStackSettings(context: ContextReader): StackSettings {
  const source = contextSource(context);
  const settings = readChecked(CONTEXT_SETTINGS, source);
  const stage = validStageName(settings.stage, source.name('stage'));
  if (settings.alarmEmail !== undefined) validEmail(settings.alarmEmail, source.name('alarmEmail'));
  if (settings.account !== undefined && !/^\d{12}$/.test(settings.account)) {
    throw new StackConfigError(`${source.name('account')} must be a 12-digit AWS account id, got "${settings.account}"`);
  }
  const removalPolicy = settings.removalPolicy ?? (stage === 'dev' ? 'destroy' : 'retain');
  return {
    stage,
    removalPolicy: removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    auth: authSettings(source),
    throttlingBurstLimit: settings.throttlingBurstLimit,
    throttlingRateLimit: settings.throttlingRateLimit,
    logLevel: settings.logLevel,
    tracing: settings.tracing,
    apiGatewayCloudWatchRole: settings.apiGatewayCloudWatchRole,
    eventsOut: settings.eventsOut,
    ...optional('alarmEmail', settings.alarmEmail),
    ...optional('eventSource', settings.eventSource),
    ...optional('account', settings.account),
    ...optional('region', settings.region),
  };
}

/** `readSettings`, failing with a StackConfigError: bin/app.ts prints those as a message, not a stack trace. */
function readChecked<Schema extends SettingsSchema>(schema: Schema, source: SettingsSource): Settings<Schema> {
  try {
    return readSettings(schema, source);
  } catch (error) {
    throw new StackConfigError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * API Gateway stage names: letters, digits, hyphens and underscores (and no
 * `$default` here: the WebSocket URL and the stack name both carry it).
 */
export function validStageName(stage: string, name: string): string {
  if (!Token.isUnresolved(stage) && !/^[A-Za-z0-9_-]{1,128}$/.test(stage)) {
    throw new StackConfigError(`${name} must be letters, digits, "-" or "_", got "${stage}"`);
  }
  return stage;
}

/** An address SNS can subscribe (tokens, known only at deploy time, pass). */
export function validEmail(address: string, name: string): string {
  if (!Token.isUnresolved(address) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
    throw new StackConfigError(`${name} must be an email address, got "${address}"`);
  }
  return address;
}

/**
 * What `npm run synth` verifies with when no key source is given
 * (`-c exampleAuth=true`), so a fresh clone synthesizes. It names a secret in
 * an account that is not yours: deployed, every handshake is denied. It is
 * never used when `jwtSecretArn` or `jwksUrl` is given.
 */
export const EXAMPLE_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:realtime-example-AbCdEf';

/**
 * Exactly one key source. Neither would leave the authorizer without a key
 * (it refuses to start, so every handshake fails after a "successful"
 * deploy); both would leave which one wins to whoever reads the code.
 */
export function authSettings(source: AuthSettingsSource): AuthSettings {
  const { name, example } = source;
  const { jwtSecretArn, jwksUrl, issuer, audience, exampleAuth } = readChecked(AUTH_CONTEXT_SETTINGS, source);
  const secretArn = jwtSecretArn ?? (jwksUrl === undefined && exampleAuth ? EXAMPLE_SECRET_ARN : undefined);
  if (secretArn !== undefined && jwksUrl !== undefined) {
    throw new StackConfigError(`${name('jwtSecretArn')} and ${name('jwksUrl')} are both set; give exactly one:\n${example}`);
  }
  if (secretArn === undefined && jwksUrl === undefined) {
    throw new StackConfigError(
      `no JWT verification configured for the $connect authorizer; give exactly one of:\n${example}`,
    );
  }
  const claims = { ...optional('audience', audience) };
  if (secretArn !== undefined) {
    // A partial ARN (no suffix) would be granted verbatim and never match the
    // real secret: every handshake would be denied with AccessDenied in the logs.
    if (!Token.isUnresolved(secretArn) && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/.test(secretArn)) {
      throw new StackConfigError(
        `${name('jwtSecretArn')} must be a secret's complete ARN (ending in "-" and the 6 characters Secrets Manager adds), got "${secretArn}"`,
      );
    }
    return { kind: 'secrets-manager', secretArn, ...optional('issuer', issuer), ...claims };
  }
  const url = jwksUrl as string;
  if (!Token.isUnresolved(url) && !isHttpsUrl(url)) throw new StackConfigError(`${name('jwksUrl')} must be an https URL, got "${url}"`);
  if (issuer === undefined) {
    throw new StackConfigError(`${name('issuer')} is required with ${name('jwksUrl')}: without it any token the issuer's keys signed, for any client, would be accepted`);
  }
  return { kind: 'jwks', jwksUrl: url, issuer, ...claims };
}

function isHttpsUrl(raw: string): boolean {
  try {
    return new URL(raw).protocol === 'https:';
  } catch {
    return false;
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
