import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RealtimeStack } from './realtime-stack.js';
import { readStackSettings } from './stack-config.js';

/**
 * Everything bin/app.ts does to an app, in one function the infra tests call
 * too, so what they check is what `cdk synth` builds: the stack from context,
 * and cdk-nag's AWS Solutions checks, which fail the synth on any
 * unacknowledged finding (errors and warnings alike).
 */
export function addRealtimeStack(app: App): RealtimeStack {
  const { account, region, ...settings } = readStackSettings((key) => app.node.tryGetContext(key) as unknown);
  const stack = new RealtimeStack(app, `realtime-${settings.stage}`, {
    ...settings,
    description: `Serverless realtime messaging (stage ${settings.stage})`,
    ...(account === undefined && region === undefined ? {} : { env: { account, region } }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
