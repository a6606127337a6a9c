/**
 * Module resolution hooks for a local function's runtime: what the handler's
 * own package does not have, the Lambda runtime provides (the AWS SDK for
 * JavaScript v3, `@aws-sdk/*`, on `nodejs24.x`), found here in this project's
 * node_modules. Everything else resolves, or fails, as it would in Lambda.
 */
import type { InitializeHook, ResolveHook } from 'node:module';

const PROVIDED = /^@aws-sdk\//;

let providedFrom: string | undefined;

export const initialize: InitializeHook<{ readonly providedFrom: string }> = (data) => {
  providedFrom = data.providedFrom;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const notFound = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    if (!notFound || !PROVIDED.test(specifier) || providedFrom === undefined) throw error;
    return nextResolve(specifier, { ...context, parentURL: providedFrom });
  }
};
