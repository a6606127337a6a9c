/**
 * One open connection of the local gateway: its socket, the idle and maximum
 * duration timers API Gateway keeps, and what the Management API does to it
 * (send, describe, delete).
 */
import { WebSocket } from 'ws';
import type { ClientInfo } from './events.js';
import type { ManagedConnection } from './management-api.js';

/** Close codes API Gateway uses. */
export const GOING_AWAY = 1001;
export const MESSAGE_TOO_BIG = 1009;
const NORMAL = 1000;

export class LocalConnection implements ManagedConnection {
  lastActiveAt: number;
  /** Set when the gateway itself closes the socket, so `$disconnect` reports why. */
  closedBy: { code: number; reason: string } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly lifetimeTimer: NodeJS.Timeout;

  constructor(
    readonly client: ClientInfo,
    readonly socket: WebSocket,
    private readonly idleMs: number,
    maxMs: number,
  ) {
    this.lastActiveAt = client.connectedAt;
    this.lifetimeTimer = setTimeout(() => this.close(GOING_AWAY, 'Going away'), maxMs);
    this.markActive();
  }

  get connectedAt(): number {
    return this.client.connectedAt;
  }
  get sourceIp(): string {
    return this.client.sourceIp;
  }
  get userAgent(): string {
    return this.client.userAgent;
  }

  markActive(): void {
    this.lastActiveAt = Date.now();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(GOING_AWAY, 'Going away'), this.idleMs);
  }

  send(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== WebSocket.OPEN) return reject(new Error('connection is closed'));
      this.socket.send(typeof data === 'string' ? data : data.toString('utf8'), (error) => (error ? reject(error) : resolve()));
    });
  }

  drop(): void {
    // The $disconnect reason of a DeleteConnection (API Gateway's execution
    // log in github.com/aws/chalice/issues/2060). unverified: that the client's
    // close frame carries the same reason.
    this.close(NORMAL, 'Connection Closed Normally');
  }

  close(code: number, reason: string): void {
    if (this.closedBy !== undefined) return;
    this.closedBy = { code, reason };
    this.socket.close(code, reason);
    // A peer that never answers the close frame is cut off, as API Gateway does.
    setTimeout(() => this.socket.terminate(), 1_000).unref();
  }

  stopTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
  }
}
