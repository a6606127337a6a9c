import { joinRoom } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('joinRoom', (caller, frame) => joinRoom(caller, frame.room));
