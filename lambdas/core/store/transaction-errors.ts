import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** Whether a TransactWriteItems call was cancelled, by one of its items, for one of these reasons. */
export function cancelledFor(error: unknown, codes: readonly string[]): error is TransactionCanceledException {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => codes.includes(reason.Code ?? ''))
  );
}
