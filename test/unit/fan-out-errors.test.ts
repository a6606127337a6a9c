import { GoneException, LimitExceededException, ForbiddenException } from '@aws-sdk/client-apigatewaymanagementapi';
import { describe, expect, it } from 'vitest';
import { isGoneError } from '../../lambdas/core/posting.js';

describe('isGoneError', () => {
  it('is true for an error named GoneException', () => {
    expect(isGoneError({ name: 'GoneException' })).toBe(true);
    expect(isGoneError(Object.assign(new Error('gone'), { name: 'GoneException' }))).toBe(true);
  });

  it('is true for an error whose $metadata.httpStatusCode is 410', () => {
    expect(isGoneError({ name: 'UnknownError', $metadata: { httpStatusCode: 410 } })).toBe(true);
    expect(isGoneError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 410 } }))).toBe(true);
  });

  it('is true for a real GoneException from the SDK', () => {
    const error = new GoneException({ message: 'x', $metadata: {} });
    expect(error).toBeInstanceOf(Error);
    expect(isGoneError(error)).toBe(true);
  });

  it('is true for a real GoneException carrying its 410', () => {
    expect(isGoneError(new GoneException({ message: 'x', $metadata: { httpStatusCode: 410 } }))).toBe(true);
  });

  it('is false for a real LimitExceededException (429)', () => {
    expect(isGoneError(new LimitExceededException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }))).toBe(false);
  });

  it('is false for a real ForbiddenException (403)', () => {
    expect(isGoneError(new ForbiddenException({ message: 'no', $metadata: { httpStatusCode: 403 } }))).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a LimitExceededException by name', { name: 'LimitExceededException' }],
    ['a 429', { $metadata: { httpStatusCode: 429 } }],
    ['a 500', { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }],
    ['a plain Error', new Error('GoneException')],
    ['an object without metadata', { message: 'gone' }],
    ['empty $metadata', { $metadata: {} }],
    ['null', null],
    ['undefined', undefined],
    ['the string "GoneException"', 'GoneException'],
    ['the string "410"', '410'],
    ['the number 410', 410],
  ])('is false for %s', (_label, error) => {
    expect(isGoneError(error)).toBe(false);
  });
});
