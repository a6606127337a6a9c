import { ManagementApiStub } from './management-api-stub.js';

/** The test file's Management API stub, shared by the setup file and the tests. */
export const managementApi = new ManagementApiStub();
