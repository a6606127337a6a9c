/** `<package>/server`: for your own services to push to rooms, users and everyone. */
export { publish, PublishError, RealtimePublisher, type PublisherOptions, type PublishResult, type PublishTarget, type RealtimeStats } from './publisher.js';
