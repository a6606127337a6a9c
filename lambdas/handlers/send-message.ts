import { sendMessage } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('sendMessage', sendMessage);
