/**
 * What API Gateway checks of a request to an IAM-authorised endpoint before
 * IAM decides: that it carries a Signature Version 4 `Authorization` header
 * for the `execute-api` service. The signature itself is not verified (no
 * IAM here), as DynamoDB Local does not verify it either; a request that
 * AWS would refuse for its form is refused with AWS's answer, so code that
 * forgets to sign, or signs for the wrong service, fails locally too.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type SigV4Verdict =
  | { readonly signed: true }
  | {
      readonly signed: false;
      /** The `x-amzn-ErrorType` API Gateway answers with (always status 403). */
      readonly errorType: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'InvalidSignatureException';
      readonly message: string;
    };

const SCHEME = 'AWS4-HMAC-SHA256';

export function checkSigV4(headers: IncomingHttpHeaders): SigV4Verdict {
  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') {
    // REST APIs answer an unsigned request to an IAM-authorised method so
    // (API Gateway developer guide, "Gateway response types",
    // MISSING_AUTHENTICATION_TOKEN, 403:
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html;
    // the wire answer with its error type: github.com/aws/chalice/issues/12).
    // unverified: that `@connections` answers an unsigned request the same way.
    return { signed: false, errorType: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  }
  const parameters = parseParameters(authorization);
  const missing = [
    ...(['Credential', 'Signature', 'SignedHeaders'] as const)
      .filter((name) => (parameters?.get(name) ?? '') === '')
      .map((name) => `Authorization header requires '${name}' parameter.`),
    ...(headers['x-amz-date'] === undefined && headers.date === undefined
      ? ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]
      : []),
  ];
  if (parameters === undefined || missing.length > 0) {
    // The answer to an Authorization header that is no SigV4 one, e.g. a
    // bearer token: github.com/aws/chalice/issues/828 (403, every missing
    // part named, then the header). unverified: the exact wording when only
    // some parts are missing.
    return { signed: false, errorType: 'IncompleteSignatureException', message: `${missing.join(' ')} Authorization=${authorization}` };
  }
  const scope = (parameters.get('Credential') ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope[3] !== 'execute-api') {
    // The Management API's answer to a request signed for another service:
    // github.com/aws/aws-sdk-js-v3/issues/1831 (InvalidSignatureException).
    return { signed: false, errorType: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'execute-api'. " };
  }
  return { signed: true };
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` as a map; undefined for another scheme. */
function parseParameters(authorization: string): Map<string, string> | undefined {
  if (!authorization.startsWith(`${SCHEME} `)) return undefined;
  const parameters = new Map<string, string>();
  for (const part of authorization.slice(SCHEME.length + 1).split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) parameters.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  return parameters;
}
