/**
 * One port for `ws://`/`http://` and `wss://`/`https://`, as a deployed API's
 * one domain name serves both its WebSocket and its callback URL: each
 * connection goes to the TLS server when its first byte opens a TLS
 * handshake (a ClientHello record, 0x16), to the plain one otherwise.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const TLS_HANDSHAKE_RECORD = 0x16;

export class PlainAndTlsServer {
  private readonly listener: Server;

  constructor(
    private readonly plain: HttpServer,
    private readonly secure: HttpsServer,
  ) {
    this.listener = createServer((socket) => this.hand(socket));
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(port, host, () => resolve());
    });
  }

  address(): AddressInfo {
    return this.listener.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    this.plain.closeAllConnections();
    this.secure.closeAllConnections();
    this.handed.forEach((socket) => socket.destroy());
    await closed;
  }

  private readonly handed = new Set<Socket>();

  private hand(socket: Socket): void {
    this.handed.add(socket);
    socket.once('close', () => this.handed.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE_RECORD ? this.secure : this.plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  }
}
