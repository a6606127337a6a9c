/**
 * Server-side publish over EventBridge: events on the default bus with this
 * detail-type reach `lambdas/handlers/publish-event.ts`, whose `detail` is a
 * publish request exactly as `POST /publish` takes it. Kept beside
 * lib/routes.ts's `adminApi` so producers, the stack and the tests agree on
 * the names.
 */
export const publishEventRule = {
  name: 'publish-event',
  entry: 'lambdas/handlers/publish-event.ts',
  detailType: 'realtime.publish',
} as const;
