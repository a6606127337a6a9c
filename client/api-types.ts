/** The types of the client's public API: its events, states, replies and options for sends. */
import type { MessageFrame, ServerFrameOf } from '../lambdas/core/protocol.js';
import type { RealtimeError } from './errors.js';

export type JoinedFrame = ServerFrameOf<'joined'>;
export type AckFrame = ServerFrameOf<'ack'>;
export type PresenceFrame = ServerFrameOf<'user_joined'> | ServerFrameOf<'user_left'>;
export type TypingFrame = ServerFrameOf<'typing'>;
export type Member = ServerFrameOf<'members'>['members'][number];

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
  /** Why the connection is (re)connecting or closed. */
  readonly reason?: string;
  /** With `reconnecting`: which attempt comes next, and in how long. */
  readonly attempt?: number;
  readonly retryInMs?: number;
}

export interface RealtimeEvents {
  /** A room message (once each, in `seq` order per room), a private message or a broadcast. */
  message: MessageFrame;
  /** A room was joined, or joined again after a reconnect: its members as of now. */
  joined: JoinedFrame;
  user_joined: ServerFrameOf<'user_joined'>;
  user_left: ServerFrameOf<'user_left'>;
  typing: TypingFrame;
  state: StateChange;
  /** Errors that settle no request: a refused token, giving up, a room that could not be joined again, stray error frames. */
  error: RealtimeError;
}

export interface SendOptions {
  /** Your own id for the message (1-128 characters); a resend with the same id is not delivered twice. Generated when absent. */
  readonly clientMsgId?: string;
}
