/**
 * Reads a Secrets Manager secret through the AWS Parameters and Secrets Lambda
 * Extension: a layer (the authorizer's, see lib/realtime-api.ts) that calls
 * GetSecretValue with the function's role and answers on localhost. The
 * authorizer needs one secret, once per container; over the extension that
 * is one HTTP request, where the AWS SDK cost a third of a megabyte of bundle
 * and its cold-start time.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
 */

/** The extension's port unless PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise. */
const DEFAULT_PORT = '2773';

/** How much of an error answer is kept for the logs: enough for Secrets Manager's message. */
const MAX_ERROR_TEXT = 500;

/**
 * An answer other than the secret: Secrets Manager's error as the extension
 * passed it on (its name, e.g. AccessDeniedException, and message), or the
 * extension's own.
 */
export class SecretsExtensionError extends Error {
  constructor(
    readonly status: number,
    name: string,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * The secret's SecretString (undefined for a binary secret). Rejects with
 * SecretsExtensionError for an error answer, and with fetch's own error when
 * the extension cannot be reached or has not answered within `timeoutMs`.
 */
export async function getSecretString(secretId: string, options: { readonly timeoutMs: number }): Promise<string | undefined> {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || DEFAULT_PORT;
  const response = await fetch(`http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`, {
    // The extension serves only callers holding the function's session token.
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
    // Covers the body too: a stalled answer cannot hold the handshake until the Lambda timeout.
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!response.ok) throw await errorFrom(response);
  // GetSecretValue's response, as Secrets Manager gives it. Parsed here, not
  // by response.json(): a parse error quotes its input, which holds the secret.
  const text = await response.text();
  let body: { SecretString?: unknown } | null;
  try {
    body = JSON.parse(text) as { SecretString?: unknown } | null;
  } catch {
    throw new SecretsExtensionError(response.status, 'SecretsExtensionError', 'the answer is not JSON');
  }
  return typeof body?.SecretString === 'string' ? body.SecretString : undefined;
}

/** An error answer carries no secret, so its text may go to the logs. */
async function errorFrom(response: Response): Promise<SecretsExtensionError> {
  const text = (await response.text()).slice(0, MAX_ERROR_TEXT).trim();
  let type: unknown;
  let message: unknown;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown> | null;
    type = parsed?.__type;
    message = parsed?.message ?? parsed?.Message;
  } catch {
    // Not JSON: the extension's own plain-text answer, kept as it is below.
  }
  return new SecretsExtensionError(
    response.status,
    // AWS JSON errors may name the type with its namespace: `…#AccessDeniedException`.
    typeof type === 'string' && type !== '' ? type.slice(type.lastIndexOf('#') + 1) : 'SecretsExtensionError',
    typeof message === 'string' && message !== '' ? message : `HTTP ${response.status}${text === '' ? '' : `: ${text}`}`,
  );
}
