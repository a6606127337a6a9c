/** `<package>/cdk`: the construct for your own CDK app. */
export {
  RealtimeApi,
  type RealtimeApiAuth,
  type RealtimeApiProps,
  type RealtimeEventsOut,
  type RealtimeLimits,
} from './realtime-api.js';
export type { LargeRoomSettings } from './fan-out-worker.js';
export type { RealtimeAlarms } from './realtime-alarms.js';
export type { RealtimeFunction } from './realtime-function.js';
export type { LogLevel } from './stack-config.js';
