/**
 * Identifiers in the formats API Gateway gives them, so code that stores,
 * logs or parses them meets locally what it meets in AWS.
 */
import { randomBytes } from 'node:crypto';

/**
 * A connection, request or message id: 15 base64url characters and `=`, as
 * in `L0SM9cOFvHcCIhw=` or `VNRXVFJOywMF3-Q=` (AWS's sample events in
 * github.com/aws/aws-lambda-go, events/testdata/apigw-websocket-request-*.json,
 * and github.com/aws-powertools/powertools-lambda-python,
 * tests/events/apiGatewayWebSocketApi*.json). Not a UUID.
 */
export function gatewayId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

/**
 * An `X-Amzn-Trace-Id` header value as API Gateway adds it:
 * `Root=1-<epoch seconds, 8 hex digits>-<24 hex digits>` (AWS X-Ray
 * developer guide, "Elastic Load Balancing and AWS X-Ray", X-Ray trace ID
 * format: https://docs.aws.amazon.com/xray/latest/devguide/xray-services-elb.html).
 */
export function traceHeader(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}
