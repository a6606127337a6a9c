import { leaveRoom } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('leaveRoom', (connection, frame) => leaveRoom(connection, frame.room));
