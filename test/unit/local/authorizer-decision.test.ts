/**
 * What the local gateway makes of a REQUEST authorizer's answer, as API
 * Gateway does ("Control access to WebSocket APIs with AWS Lambda REQUEST
 * authorizers": the policy decides, the context goes to every route).
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { authorizerDecision } from '../../../local/gateway/authorizer-decision.js';

function answer(effects: readonly ('Allow' | 'Deny')[], context?: APIGatewayAuthorizerResult['context']): APIGatewayAuthorizerResult {
  return {
    principalId: 'alice',
    policyDocument: { Version: '2012-10-17', Statement: effects.map((Effect) => ({ Action: 'execute-api:Invoke', Effect, Resource: '*' })) },
    ...(context === undefined ? {} : { context }),
  };
}

describe('authorizerDecision', () => {
  it('admits an Allow, with the context and the principal for every route', () => {
    expect(authorizerDecision(answer(['Allow'], { userId: 'alice', admin: true, rooms: 2 }))).toEqual({ principalId: 'alice', userId: 'alice', admin: true, rooms: 2 });
  });

  it('drops context values that are null or missing, as API Gateway passes only the rest', () => {
    expect(authorizerDecision(answer(['Allow'], { userId: 'alice', name: null as unknown as string }))).toEqual({ principalId: 'alice', userId: 'alice' });
  });

  it.each([
    ['no answer', null],
    ['an empty policy', answer([])],
    ['a Deny', answer(['Deny'])],
    ['a Deny beside an Allow', answer(['Allow', 'Deny'])],
  ])('refuses %s with 403', (_what, result) => {
    expect(authorizerDecision(result)).toBe(403);
  });
});
