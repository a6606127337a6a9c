/**
 * Every setting the Lambda code reads, read once at module load and checked
 * there, so a misconfigured function fails at cold start rather than on the
 * first message. The variables, their defaults and what each means are in
 * config-settings.ts; CDK sets each variable next to the grant it goes with,
 * and the local stack sets the same names.
 */
import { CONFIG_SETTINGS } from './config-settings.js';
import { environmentSource, readSettings, type Settings } from './settings.js';

export type Config = Settings<typeof CONFIG_SETTINGS>;

export const config: Config = readSettings(CONFIG_SETTINGS, environmentSource());
