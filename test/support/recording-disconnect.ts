export { recordingDisconnect as handler } from './test-routes.js';
