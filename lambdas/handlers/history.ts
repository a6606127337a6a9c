import { history } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('history', (connection, frame) => history(connection, frame.room, frame.afterSeq));
