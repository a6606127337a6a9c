/**
 * The local gateway's log, kept off the screen and read instead: handshakes
 * made and refused (by status), handlers that threw, and which connection
 * each user holds now (so a churner's connection can be closed from the
 * server side with the Management API).
 */
import { bump } from './frame-counters.js';

export class GatewayLog {
  handshakesMade = 0;
  disconnects = 0;
  readonly refusedByStatus: Record<string, number> = {};
  /** Lines saying a handler (or the gateway itself) failed. */
  readonly failures: string[] = [];
  otherLines = 0;
  private readonly openByUser = new Map<string, Set<string>>();
  private readonly userOf = new Map<string, string>();

  readonly write = (line: string): void => {
    const connected = /^connected (\S+) \((.*)\)$/.exec(line);
    if (connected !== null) {
      const [, connectionId = '', userId = ''] = connected;
      this.handshakesMade += 1;
      this.userOf.set(connectionId, userId);
      const open = this.openByUser.get(userId) ?? new Set<string>();
      open.add(connectionId);
      this.openByUser.set(userId, open);
      return;
    }
    const disconnected = /^disconnected (\S+) /.exec(line);
    if (disconnected !== null) {
      const connectionId = disconnected[1] ?? '';
      this.disconnects += 1;
      this.openByUser.get(this.userOf.get(connectionId) ?? '')?.delete(connectionId);
      this.userOf.delete(connectionId);
      return;
    }
    const refused = /^refused \S* with (\d+)$/.exec(line);
    if (refused !== null) {
      bump(this.refusedByStatus, refused[1] ?? '?');
      return;
    }
    if (/ threw: |^gateway error: /.test(line)) {
      this.failures.push(line);
      return;
    }
    this.otherLines += 1;
  };

  /** The user's most recent connection still open at the gateway. */
  openConnectionOf(userId: string): string | undefined {
    return [...(this.openByUser.get(userId) ?? [])].at(-1);
  }
}
