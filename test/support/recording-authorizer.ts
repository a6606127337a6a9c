export { allowingAuthorizer as handler } from './recording-routes.js';
