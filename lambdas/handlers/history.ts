import { history } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('history', (caller, frame) => history(caller, frame.room, frame.afterSeq));
