/**
 * "Add a route" (docs/local-gateway.md): one line in lib/routes.ts deploys a route with its
 * own function, bundled like the others, given what every message route gets
 * (the table, posting to connections, MANAGEMENT_ENDPOINT). The line is added
 * here by replacing the module's route list, as a user's edit would.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { RealtimeApi } from '../../lib/realtime-api.js';
import type * as RoutesModule from '../../lib/routes.js';
import { SECRET_ARN } from './synth.js';
import { actionsOf, environmentOf, nagViolations, props, referencedIdOfType, resourcesOfType, statementsOfFunction } from './template-helpers.js';

vi.mock('../../lib/routes.js', async (importOriginal) => {
  const original = await importOriginal<typeof RoutesModule>();
  return {
    ...original,
    routes: [...original.routes, { routeKey: 'echo', name: 'echo', entry: 'test/fixtures/aws-documented-handler/handler.mjs', twoWay: false }],
  };
});

describe('a route added to lib/routes.ts', () => {
  it('deploys as a route of the WebSocket API with its own function, granted and configured as the other message routes', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Chat');
    const realtime = new RealtimeApi(stack, 'Realtime', { auth: { jwtSecretArn: SECRET_ARN } });
    const template = Template.fromStack(stack);

    const route = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').find(([, resource]) => props(resource).RouteKey === 'echo');
    expect(route).toBeDefined();
    const integrationId = referencedIdOfType(template, props(route?.[1]).Target, 'AWS::ApiGatewayV2::Integration');
    const integration = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').find(([id]) => id === integrationId)?.[1];
    const echoFunction = referencedIdOfType(template, props(integration).IntegrationUri, 'AWS::Lambda::Function');
    const sendMessage = stack.getLogicalId(realtime.functions.get('sendMessage')?.function.node.defaultChild as never);

    expect(environmentOf(template, echoFunction)).toEqual(environmentOf(template, sendMessage));
    const actions = (id: string) => statementsOfFunction(template, id).flatMap(actionsOf).sort();
    expect(actions(echoFunction)).toEqual(actions(sendMessage));
    expect(realtime.functions.get('echo')?.entry).toBe('test/fixtures/aws-documented-handler/handler.mjs');
    expect(nagViolations(stack)).toEqual([]);
  });
});
