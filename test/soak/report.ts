/** The soak report as a table for a terminal. */
import type { DeliveryTally } from './ledger.js';
import type { SoakReport } from './soak.js';

export function formatReport(report: SoakReport): string {
  const { options, messages, deliveries } = report;
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(40)} ${String(value)}`);
  const counts = (record: Record<string, number>) =>
    Object.keys(record).length === 0 ? 'none' : Object.entries(record).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key} ${value}`).join(', ');

  lines.push(
    `Soak: ${options.clients} clients (${report.stayers} stayers, ${report.churners} churners) in ${options.rooms} rooms, ` +
      `${report.runSeconds} s of churn after ${report.rampSeconds} s to join; seed ${options.seed}`,
  );
  lines.push('');
  row('messages sent (acked / tried)', `${messages.acked} / ${messages.sendsTried}`);
  row('sends refused or given up, by code', counts(messages.sendsRefusedByCode));
  row('ack latency p50 / p99 ms', `${messages.ackP50Ms} / ${messages.ackP99Ms}`);
  lines.push('');
  lines.push(`  ${'deliveries'.padEnd(40)} ${'stayers'.padStart(10)} ${'churners'.padStart(10)}`);
  const tallyRow = (label: string, pick: (tally: DeliveryTally) => number) =>
    lines.push(`  ${label.padEnd(40)} ${String(pick(deliveries.stayers)).padStart(10)} ${String(pick(deliveries.churners)).padStart(10)}`);
  tallyRow('receivers (churners: one per client life)', (tally) => tally.receivers);
  tallyRow('expected', (tally) => tally.expected);
  tallyRow('made', (tally) => tally.made);
  tallyRow('lost', (tally) => tally.lost);
  tallyRow('duplicated', (tally) => tally.duplicated);
  tallyRow('out of seq order on arrival', (tally) => tally.outOfOrder);
  tallyRow('outside the expected window', (tally) => tally.unexpected);
  tallyRow('own sends handed back', (tally) => tally.ownEchoed);
  row('deliveries settled', `${report.settled ? 'yes' : 'NO'}, after ${report.settleSeconds} s`);
  lines.push('');
  row('handshakes made', report.handshakes.made);
  row('handshakes refused, by status', counts(report.handshakes.refusedByStatus));
  row('reconnects (SDK)', report.reconnects);
  row('churn', `${counts(report.churnActions)}; ${report.churnerLives} client lives`);
  row('reconnect causes (SDK)', counts(report.reconnectReasons));
  row('frames received, by type', counts(report.framesInByType));
  row('error frames, by code', counts(report.errorFramesByCode));
  row('Internal server error frames', report.internalServerErrorFrames);
  row('handlers that threw', report.handlerFailures.count);
  lines.push('');
  row('table invariant violations', report.invariantViolations.length);
  row('items after everyone left, by kind', counts(report.itemsByKind));
  row('connection/link/membership items left', report.leftoverConnectionItems);
  for (const sample of [...deliveries.stayers.lostSamples, ...deliveries.churners.lostSamples].slice(0, 10)) lines.push(`  lost: ${sample}`);
  for (const violation of report.invariantViolations.slice(0, 10)) lines.push(`  violation: ${violation}`);
  for (const failure of report.handlerFailures.samples) lines.push(`  handler: ${failure}`);
  lines.push('');
  lines.push(report.failures.length === 0 ? `PASSED in ${report.totalSeconds} s` : `FAILED in ${report.totalSeconds} s: ${report.failures.join('; ')}`);
  return lines.join('\n');
}
