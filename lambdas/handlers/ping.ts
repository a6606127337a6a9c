import { ping } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('ping', () => ping());
