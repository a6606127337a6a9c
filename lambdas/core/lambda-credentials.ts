/**
 * What Lambda bundles get in place of @aws-sdk/credential-provider-node (the
 * esbuild alias in lib/function-bundling.ts): the AWS SDK clients' default
 * credentials, read from the environment variables in which Lambda hands a
 * function its role's credentials.
 *
 * The SDK's own default chain tries the environment first, then SSO, ini
 * files, credential processes, web identity and the container and instance
 * metadata endpoints, and brings along the STS and SSO clients some of those
 * need: over 100 KiB of every bundle, evaluated at every cold start, for
 * links of the chain that Lambda, which always fills the environment, never
 * reaches.
 *
 * Only bundles see this module. Local runs and tests import the SDK as it is
 * (lambdas/core/clients.ts gives local runs their dummy credentials). A
 * function whose credentials would come another way (SnapStart, for one,
 * serves them from an endpoint) must be bundled without the alias.
 */
import type { defaultProvider as sdkDefaultProvider } from '@aws-sdk/credential-provider-node';

/** Typed as the export it replaces, so the alias cannot hand the SDK something else. */
export const defaultProvider: typeof sdkDefaultProvider = () => async () => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; Lambda sets them from the function’s role');
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
};
