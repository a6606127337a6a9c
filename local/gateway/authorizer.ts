/**
 * The `$connect` REQUEST authorizer as API Gateway runs it: the identity
 * source checked first, the authorizer invoked under the integration
 * timeout, its failures answered as API Gateway answers them, and its answer
 * read by authorizerDecision().
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { connectAuthorizer } from '../../lib/routes.js';
import type { FunctionInvoker } from '../lambda/function-invoker.js';
import { authorizerDecision } from './authorizer-decision.js';
import { authorizerEvent, type ApiInfo, type ClientInfo, type Handshake } from './events.js';
import { withinIntegrationTimeout, type Outcome } from './integration-timeout.js';

export interface AuthorizerContext {
  readonly api: ApiInfo;
  readonly functions: FunctionInvoker;
  /** The authorizer module, relative to the project root. */
  readonly entry: string;
  readonly integrationTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** The authorizer's context (plus `principalId`), or the status API Gateway answers with. */
export async function authorize(client: ClientInfo, shake: Handshake, context: AuthorizerContext): Promise<Record<string, string | number | boolean> | number> {
  // API Gateway checks the identity source itself and answers 401 without calling the authorizer.
  const token = shake.search.get(connectAuthorizer.tokenQueryParameter);
  if (token === null || token === '') return 401;
  let outcome: Outcome<APIGatewayAuthorizerResult | null | undefined>;
  try {
    const event = authorizerEvent(context.api, client, shake);
    outcome = await withinIntegrationTimeout('the authorizer', context.integrationTimeoutMs, context.log, () =>
      context.functions.invoke<APIGatewayAuthorizerResult | null | undefined>(connectAuthorizer.name, context.entry, event),
    );
  } catch (error) {
    // A Lambda authorizer that fails with "Unauthorized" means 401; any other failure is a 500.
    if (error instanceof Error && error.message === 'Unauthorized') return 401;
    context.log(`the authorizer failed: ${String(error)}`);
    return 500;
  }
  if (outcome.timedOut) {
    // The authorizer is an integration too, under the same 29 s limit; its
    // timeout is taken as any other authorizer failure (500).
    context.log(`the authorizer timed out after ${context.integrationTimeoutMs} ms: refused with 500`);
    return 500;
  }
  return authorizerDecision(outcome.value);
}
