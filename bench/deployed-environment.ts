/**
 * A function's environment as Lambda would hand it over, read from a
 * synthesized template: its own variables, with CloudFormation references
 * replaced by plausible values (configuration is checked at cold start, so
 * the values must look like the real ones), plus what Lambda's runtime sets.
 */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export type Resources = Readonly<Record<string, TemplateResource>>;

/** `Environment.Variables` of a function in the template, references resolved. */
export function functionVariables(resources: Resources, stackName: string, functionId: string): Record<string, string> {
  const variables = (resources[functionId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(value, resources, stackName)]));
}

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

function resolve(value: unknown, resources: Resources, stackName: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const intrinsic = value !== null && typeof value === 'object' ? Object.entries(value) : [];
  const [name, argument] = intrinsic[0] ?? [];
  if (intrinsic.length === 1 && name === 'Ref' && typeof argument === 'string') {
    if (argument === 'AWS::StackName') return stackName;
    return PSEUDO_PARAMETERS[argument] ?? refValue(argument, resources, stackName);
  }
  if (intrinsic.length === 1 && name === 'Fn::Join' && Array.isArray(argument) && typeof argument[0] === 'string' && Array.isArray(argument[1])) {
    return argument[1].map((part: unknown) => resolve(part, resources, stackName)).join(argument[0]);
  }
  if (intrinsic.length === 1 && name === 'Fn::GetAtt' && Array.isArray(argument) && argument[1] === 'Arn' && typeof argument[0] === 'string') {
    const type = typeOf(argument[0], resources);
    return `arn:aws:${type.split('::')[1]?.toLowerCase()}:${REGION}:${ACCOUNT}:${stackName}-${argument[0]}`;
  }
  // Anything else would be guessed wrong: better to be told where to add it.
  throw new Error(`bench/deployed-environment.ts has no dummy value for ${JSON.stringify(value)}`);
}

/** What `Ref` returns for the resource types the functions' variables refer to. */
function refValue(logicalId: string, resources: Resources, stackName: string): string {
  const type = typeOf(logicalId, resources);
  switch (type) {
    case 'AWS::DynamoDB::Table':
      return `${stackName}-${logicalId}-1A2B3C4D5E6F`;
    case 'AWS::ApiGatewayV2::Api':
      return 'a1b2c3d4e5';
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${stackName}-${logicalId}`;
    default:
      throw new Error(`bench/deployed-environment.ts has no dummy value for a Ref to ${type} (${logicalId})`);
  }
}

function typeOf(logicalId: string, resources: Resources): string {
  const type = resources[logicalId]?.Type;
  if (type === undefined) throw new Error(`the template has no resource ${logicalId}`);
  return type;
}
