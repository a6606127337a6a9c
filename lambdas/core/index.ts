/**
 * What handlers (and the local gateway) use of the core. Every function
 * bundles this index, so what only one function needs is imported from its
 * own module instead: idempotency (store/idempotency.ts, publish-event only).
 */
export { connect } from './actions/connect.js';
export { disconnect } from './actions/disconnect.js';
export { history, ping, sendMessage, typing } from './actions/messages.js';
export { joinRoom, leaveRoom, listMembers } from './actions/rooms.js';
export { admitFrame } from './actions/admission.js';
export type { ConnectionRecord } from './store/connections.js';
export { ConnectionClosed, ConnectionRefused, ProtocolError } from './errors.js';
export { fromAuthorizerContext, toAuthorizerContext, type AuthorizerContext, type Identity } from './identity.js';
export { count, logger } from './observability.js';
export * from './protocol.js';
export { parsePublishRequest, publish, type PublishResult } from './actions/publish.js';
export { stats } from './actions/stats.js';
