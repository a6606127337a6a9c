import { typing } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('typing', (connection, frame) => typing(connection, frame.room));
