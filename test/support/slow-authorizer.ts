export { slowAuthorizer as handler } from './failure-routes.js';
