import { joinRoom } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('joinRoom', (connection, frame) => joinRoom(connection, frame.room));
