import { listMembers } from '../core/index.js';
import { messageRoute } from './adapter.js';

export const handler = messageRoute('members', (caller, frame) => listMembers(caller, frame.room));
