/**
 * The deployment's settings, read from CDK context (`cdk.json`, `-c key=value`)
 * and checked before a single construct exists, so a wrong or missing value
 * stops `cdk synth` with a message naming the key instead of producing a stack
 * that fails (or, worse, lets anyone in) once deployed.
 */
import { RemovalPolicy, Token } from 'aws-cdk-lib';

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
 * Every context key the app reads, with the default it falls back to. Kept
 * here, in one list, so docs/deploy.md and the error messages cannot drift.
 */
export const CONTEXT_DEFAULTS = {
  stage: 'dev',
  throttlingBurstLimit: 500,
  throttlingRateLimit: 1000,
  logLevel: 'INFO',
  tracing: false,
  apiGatewayCloudWatchRole: true,
  eventsOut: false,
} as const;

/** A context value that cannot be used; the message names the key and what to do. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/** What `node.tryGetContext` gives: a string from `-c`, anything JSON from cdk.json. */
export type ContextReader = (key: string) => unknown;

/** Where settings come from, for messages that name a setting as its user wrote it. */
export interface SettingsSource {
  readonly name: (key: string) => string;
  /** The ways to give a key source, for the message that finds none (or both). */
  readonly example: string;
}

const CONTEXT_SOURCE: SettingsSource = {
  name: (key) => `context "${key}"`,
  example:
    '  -c jwtSecretArn=arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>   (HS256, secret in Secrets Manager)\n' +
    '  -c jwksUrl=https://<issuer>/.well-known/jwks.json -c issuer=https://<issuer>   (RS256/ES256, e.g. Cognito)\n' +
    '(optional: -c audience=<aud>; with jwtSecretArn also -c issuer=<iss>)',
};

/** Reads and checks every setting; throws StackConfigError on the first bad one. */
export function readStackSettings(context: ContextReader): StackSettings {
  const stage = validStageName(text(context, 'stage') ?? CONTEXT_DEFAULTS.stage, 'context "stage"');
  const alarmEmail = text(context, 'alarmEmail');
  if (alarmEmail !== undefined) validEmail(alarmEmail, 'context "alarmEmail"');
  const account = text(context, 'account');
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    throw new StackConfigError(`context "account" must be a 12-digit AWS account id, got "${account}"`);
  }
  return {
    stage,
    removalPolicy: removalPolicy(context, stage),
    auth: authSettings(context),
    throttlingBurstLimit: positiveInt(context, 'throttlingBurstLimit') ?? CONTEXT_DEFAULTS.throttlingBurstLimit,
    throttlingRateLimit: positiveInt(context, 'throttlingRateLimit') ?? CONTEXT_DEFAULTS.throttlingRateLimit,
    logLevel: logLevel(context),
    tracing: bool(context, 'tracing') ?? CONTEXT_DEFAULTS.tracing,
    apiGatewayCloudWatchRole: bool(context, 'apiGatewayCloudWatchRole') ?? CONTEXT_DEFAULTS.apiGatewayCloudWatchRole,
    eventsOut: bool(context, 'eventsOut') ?? CONTEXT_DEFAULTS.eventsOut,
    ...optional('alarmEmail', alarmEmail),
    ...optional('eventSource', text(context, 'eventSource')),
    ...optional('account', account),
    ...optional('region', text(context, 'region')),
  };
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
export function authSettings(context: ContextReader, source: SettingsSource = CONTEXT_SOURCE): AuthSettings {
  const { name, example } = source;
  const jwksUrl = text(context, 'jwksUrl');
  const secretArn = text(context, 'jwtSecretArn') ?? (jwksUrl === undefined && bool(context, 'exampleAuth') === true ? EXAMPLE_SECRET_ARN : undefined);
  const issuer = text(context, 'issuer');
  const audience = text(context, 'audience');
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

function removalPolicy(context: ContextReader, stage: string): RemovalPolicy {
  const raw = text(context, 'removalPolicy');
  if (raw === undefined) return stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
  if (raw === 'destroy') return RemovalPolicy.DESTROY;
  if (raw === 'retain') return RemovalPolicy.RETAIN;
  throw new StackConfigError(`context "removalPolicy" must be "destroy" or "retain", got "${raw}"`);
}

function logLevel(context: ContextReader): LogLevel {
  const raw = (text(context, 'logLevel') ?? CONTEXT_DEFAULTS.logLevel).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new StackConfigError(`context "logLevel" must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}

function isHttpsUrl(raw: string): boolean {
  try {
    return new URL(raw).protocol === 'https:';
  } catch {
    return false;
  }
}

function text(context: ContextReader, key: string): string | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new StackConfigError(`context "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}

// `-c key=value` always gives a string; cdk.json may give a number or boolean.
function positiveInt(context: ContextReader, key: string): number | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number <= 0) {
    throw new StackConfigError(`context "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

function bool(context: ContextReader, key: string): boolean | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new StackConfigError(`context "${key}" must be true or false, got ${JSON.stringify(value)}`);
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
