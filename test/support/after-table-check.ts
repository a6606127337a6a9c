/**
 * Work a test file needs done after the setup's closing table check (which
 * runs after the file's own `afterAll` hooks): say, stopping a DynamoDB
 * Local of the file's own that the check still reads.
 */
const pending: (() => Promise<void> | void)[] = [];

export function afterTableCheck(work: () => Promise<void> | void): void {
  pending.push(work);
}

export async function runAfterTableCheck(): Promise<void> {
  for (const work of pending.splice(0)) await work();
}
