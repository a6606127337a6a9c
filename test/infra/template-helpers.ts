/**
 * Small readers over a synthesized CloudFormation template: resources by
 * type, the logical ids a value refers to, and a function's IAM statements.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PolicyViolation } from 'aws-cdk-lib';

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface Statement {
  readonly Action: string | string[];
  readonly Effect: string;
  readonly Resource: unknown;
}

export function allResources(template: Template): Record<string, Resource> {
  return template.toJSON().Resources as Record<string, Resource>;
}

/** `[logicalId, resource]` for every resource of the type. */
export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(allResources(template)).filter(([, resource]) => resource.Type === type);
}

export function props(resource: Resource | undefined): Record<string, unknown> {
  return resource?.Properties ?? {};
}

/** Every logical id a value names through `Ref` or `Fn::GetAtt`, pseudo parameters left out. */
export function referencedIds(value: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      if (key === 'Ref' && typeof child === 'string' && !child.startsWith('AWS::')) found.push(child);
      else if (key === 'Fn::GetAtt' && Array.isArray(child) && typeof child[0] === 'string') found.push(child[0]);
      else visit(child);
    }
  };
  visit(value);
  return found;
}

/** The one referenced id of the given resource type; fails loudly when there is not exactly one. */
export function referencedIdOfType(template: Template, value: unknown, type: string): string {
  const resources = allResources(template);
  const ids = [...new Set(referencedIds(value))].filter((id) => resources[id]?.Type === type);
  if (ids.length !== 1) throw new Error(`expected one ${type} in ${JSON.stringify(value)}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** The statements of every IAM policy attached to the function's role. */
export function statementsOfFunction(template: Template, functionId: string): Statement[] {
  const roleId = referencedIdOfType(template, props(allResources(template)[functionId]).Role, 'AWS::IAM::Role');
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => referencedIds(props(policy).Roles).includes(roleId))
    .flatMap(([, policy]) => (props(policy).PolicyDocument as { Statement: Statement[] }).Statement);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

export function environmentOf(template: Template, functionId: string): Record<string, unknown> {
  return ((props(allResources(template)[functionId]).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
}

/** cdk-nag's AWS Solutions findings that are not acknowledged: what fails `cdk synth`. */
export function nagViolations(scope: IConstruct): PolicyViolation[] {
  return new AwsSolutionsChecks().validateScope(scope).violations;
}

/** Every finding, acknowledged or not: what the pack reports with no acknowledgement in force. */
export function rawNagViolations(scope: IConstruct): PolicyViolation[] {
  const pack = new AwsSolutionsChecks();
  // A private method, replaced on this instance only: the test needs to see
  // what each acknowledgement hides.
  Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  return pack.validateScope(scope).violations;
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every `Validations.of(...).acknowledge(...)` in the tree, with where it was made. */
export function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: node.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}
