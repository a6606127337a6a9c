import { listMembers } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('members', (connection, frame) => listMembers(connection, frame.room));
