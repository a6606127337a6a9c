import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger for the whole function; handlers add per-request keys. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'realtime' });
