#!/usr/bin/env node
/**
 * The CDK app: `npm run synth` / `npm run deploy` / `npm run destroy`.
 * Settings come from CDK context (cdk.json, `-c key=value`); every key is in
 * lib/stack-config.ts. The stack is environment-agnostic unless `account` and
 * `region` are given, so synth needs no AWS credentials.
 */
import { App } from 'aws-cdk-lib';
import { addRealtimeStack } from '../lib/realtime-app.js';
import { StackConfigError } from '../lib/stack-config.js';

const app = new App();
try {
  addRealtimeStack(app);
  if (app.node.tryGetContext('exampleAuth') !== undefined && app.node.tryGetContext('jwtSecretArn') === undefined && app.node.tryGetContext('jwksUrl') === undefined) {
    console.error(
      '\nrealtime: no JWT configuration given; synthesizing with an example secret ARN that denies every handshake.\n' +
        '          Deploy with -c jwtSecretArn=… or -c jwksUrl=… -c issuer=… (see docs/deploy.md).\n',
    );
  }
  app.synth();
} catch (error) {
  if (!(error instanceof StackConfigError)) throw error;
  // A configuration mistake is the user's to fix: the message, not a stack trace.
  console.error(`\nrealtime: ${error.message}\n`);
  process.exitCode = 1;
}
