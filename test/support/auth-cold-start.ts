import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { expect, vi } from 'vitest';
// Side-effect free: the settings table, not the config that reads the environment.
import { AUTH_SETTINGS } from '../../lambdas/core/auth/auth-settings.js';
import type * as VerifyTokenModule from '../../lambdas/core/auth/verify-token.js';
import type { InvalidTokenReason } from '../../lambdas/core/auth/verify-token.js';
import type * as ObservabilityModule from '../../lambdas/core/observability.js';
import type * as AuthorizerModule from '../../lambdas/handlers/authorizer.js';

/**
 * The authorizer reads its configuration, and caches keys, when its modules
 * load: tests of its modes import them fresh, as a cold start would.
 */

export const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/$connect';

type AuthVariable = (typeof AUTH_SETTINGS)[keyof typeof AUTH_SETTINGS]['key'];

/** Every variable the authorizer reads. */
const AUTH_VARIABLES: readonly AuthVariable[] = Object.values(AUTH_SETTINGS).map((setting) => setting.key);

export type AuthEnv = Partial<Record<AuthVariable, string>>;

/**
 * Exactly these authorizer settings in process.env, whatever the shell set
 * (another key source there would make the config refuse to load). Also for
 * a file's `vi.hoisted`, before its modules read the environment.
 */
export function setAuthEnv(env: AuthEnv): void {
  for (const name of AUTH_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
}

export interface LoadedAuthorizer {
  readonly verifyToken: (typeof VerifyTokenModule)['verifyToken'];
  readonly InvalidToken: (typeof VerifyTokenModule)['InvalidToken'];
  readonly handler: (typeof AuthorizerModule)['handler'];
  readonly logger: (typeof ObservabilityModule)['logger'];
}

/** A cold start with exactly these authorizer settings. */
export async function coldStartAuthorizer(env: AuthEnv): Promise<LoadedAuthorizer> {
  setAuthEnv(env);
  vi.resetModules();
  const { verifyToken, InvalidToken } = await import('../../lambdas/core/auth/verify-token.js');
  const { handler } = await import('../../lambdas/handlers/authorizer.js');
  const { logger } = await import('../../lambdas/core/observability.js');
  return { verifyToken, InvalidToken, handler, logger };
}

/** Puts back the settings the test file started with. */
export function restoreAuthEnv(saved: Record<string, string | undefined>): void {
  for (const name of AUTH_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
}

export function savedAuthEnv(): Record<string, string | undefined> {
  return Object.fromEntries(AUTH_VARIABLES.map((name) => [name, process.env[name]]));
}

/** Why the token was refused; fails the test when it was accepted. */
export async function reasonOf(loaded: Pick<LoadedAuthorizer, 'verifyToken' | 'InvalidToken'>, token: string): Promise<InvalidTokenReason> {
  const error: unknown = await loaded.verifyToken(token).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(loaded.InvalidToken);
  return (error as InstanceType<LoadedAuthorizer['InvalidToken']>).reason;
}

export function connectEvent(token: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    queryStringParameters: { token },
    requestContext: { requestId: 'req-1', routeKey: '$connect', eventType: 'CONNECT' },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

export const DENY = {
  principalId: 'anonymous',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: METHOD_ARN }] },
};
