import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { InvalidToken, verifyToken, type InvalidTokenReason } from '../core/auth/verify-token.js';
import { toAuthorizerContext } from '../core/identity.js';
import { logger } from '../core/observability.js';

/**
 * REQUEST authorizer on `$connect` (see `connectAuthorizer` in lib/routes.ts).
 * Imports only the auth modules, identity and the logger: the core index would
 * load the table config, and this function has no table.
 *
 * It never throws: a thrown error makes API Gateway answer 500, while a Deny
 * policy gives the client the 403 the protocol promises.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const requestId = event.requestContext?.requestId;
  try {
    const identity = await verifyToken(event.queryStringParameters?.token ?? '');
    logger.info('connect authorized', { userId: identity.userId, requestId });
    return {
      principalId: identity.userId,
      policyDocument: policy('Allow', event.methodArn),
      context: toAuthorizerContext(identity),
    };
  } catch (error) {
    const reason: InvalidTokenReason | 'internal' = error instanceof InvalidToken ? error.reason : 'internal';
    if (reason === 'internal') logger.error('authorizer failed', { requestId, error: error as Error });
    // No key could be obtained (Secrets Manager, the JWKS endpoint): every
    // handshake is refused until an operator acts, so this one is an error.
    else if (reason === 'unverifiable') logger.error('connect denied', { reason, requestId, cause: causes(error) });
    else logger.info('connect denied', { reason, requestId });
    return { principalId: 'anonymous', policyDocument: policy('Deny', event.methodArn) };
  }
}

/**
 * Names and messages of an error's cause chain. Not the errors themselves:
 * those may carry request details, and none of it needs a stack to act on.
 */
function causes(error: unknown): string[] {
  const chain: string[] = [];
  let current = error instanceof Error ? error.cause : undefined;
  while (current !== undefined && chain.length < 5) {
    chain.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function policy(effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult['policyDocument'] {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  };
}
