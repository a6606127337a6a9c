/**
 * A handler module that fails while it is imported, as one with a broken
 * dependency or a missing setting does: Lambda reports the invocation failed.
 */
throw new Error('the module failed to initialise');

export {};
