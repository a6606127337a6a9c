import { leaveRoom } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('leaveRoom', (caller, frame) => leaveRoom(caller, frame.room));
