export { recordingConnect as handler } from './test-routes.js';
