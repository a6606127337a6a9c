import type { APIGatewayAuthorizerResult } from 'aws-lambda';

/**
 * What API Gateway makes of a REQUEST authorizer's answer: the context every
 * route of the connection gets (with `principalId`), or 403 when the policy
 * allows nothing (no policy, no Allow, or any Deny).
 */
export function authorizerDecision(result: APIGatewayAuthorizerResult | null | undefined): Record<string, string | number | boolean> | 403 {
  if (result === null || result === undefined) return 403;
  const statements = result.policyDocument?.Statement ?? [];
  const allowed = statements.some((statement) => statement.Effect === 'Allow') && !statements.some((statement) => statement.Effect === 'Deny');
  if (!allowed) return 403;
  const context: Record<string, string | number | boolean> = { principalId: result.principalId };
  for (const [key, value] of Object.entries(result.context ?? {})) {
    if (value !== null && value !== undefined) context[key] = value;
  }
  return context;
}
