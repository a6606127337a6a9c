/** What local/lambda/local-function.ts and a function's runtime thread (function-runtime.ts) say to each other. */

import type { ContextFields } from './lambda-context.js';

export interface RuntimeSetup {
  /** The handler module, an absolute path. */
  readonly entry: string;
  /** A URL inside the project whose node_modules stand in for the modules Lambda's runtime provides, when the handler imports any. */
  readonly providedModulesFrom?: string;
  /** A PEM certificate the runtime trusts beside the public CAs (the local gateway's). */
  readonly trustedCertificate?: string;
}

export interface InvocationRequest {
  readonly id: number;
  readonly event: unknown;
  /** Epoch milliseconds at which Lambda would stop the invocation. */
  readonly deadline: number;
  readonly context: ContextFields;
}

/** An error as Lambda reports a function's: its type, message and stack. */
export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stack: string;
}

export type FromRuntime =
  | { readonly type: 'ready'; readonly initMs: number }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly result: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };
