import { typing } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('typing', (caller, frame) => typing(caller, frame.room));
