/**
 * How a request and its reply find each other (docs/protocol.md, "Matching
 * replies to requests"): by action and room, or by `clientMsgId` for a send.
 * The client keeps at most one request per key in flight.
 */
import type { ServerFrame } from '../lambdas/core/protocol.js';

/** What the client sends: a client frame as it goes on the wire. */
export interface OutgoingFrame {
  readonly action: string;
  readonly room?: string;
  readonly clientMsgId?: string;
  readonly [field: string]: unknown;
}

function keyOf(action: string, room: string | undefined, clientMsgId: string | undefined): string | undefined {
  if (action === 'sendMessage') return clientMsgId === undefined ? undefined : `sendMessage:${clientMsgId}`;
  if (action === 'ping') return 'ping';
  return room === undefined ? undefined : `${action}:${room}`;
}

export function requestKey(frame: OutgoingFrame): string {
  const key = keyOf(frame.action, frame.room, frame.clientMsgId);
  if (key === undefined) throw new Error(`a ${frame.action} request needs a ${frame.action === 'sendMessage' ? 'clientMsgId' : 'room'}`);
  return key;
}

/** The key of the request a frame answers, or undefined for a frame that answers none (pushes). */
export function replyKey(frame: ServerFrame): string | undefined {
  switch (frame.type) {
    case 'joined':
      return `joinRoom:${frame.room}`;
    case 'left':
      return `leaveRoom:${frame.room}`;
    case 'members':
      return `members:${frame.room}`;
    case 'history':
      return `history:${frame.room}`;
    case 'ack':
      return frame.clientMsgId === undefined ? undefined : `sendMessage:${frame.clientMsgId}`;
    case 'pong':
      return 'ping';
    case 'error':
      return frame.action === undefined ? undefined : keyOf(frame.action, frame.room, frame.clientMsgId);
    default:
      return undefined;
  }
}
