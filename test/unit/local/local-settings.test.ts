import { describe, expect, it } from 'vitest';
import { API_GATEWAY_QUOTAS } from '../../../lambdas/core/api-gateway-quotas.js';
import { NPM_START_SETTINGS, settingsHelp } from '../../../local/local-settings.js';

describe('npm start --help', () => {
  const lines = settingsHelp(NPM_START_SETTINGS).split('\n');

  it('gives each setting a line: the variable, its default after "=", and what it sets', () => {
    expect(lines).toHaveLength(Object.keys(NPM_START_SETTINGS).length);
    for (const [index, setting] of Object.values(NPM_START_SETTINGS).entries()) {
      const name = 'default' in setting ? `${setting.key}=${setting.default}` : setting.key;
      expect(lines[index]?.split(/ {2,}/)).toEqual(['', name, setting.doc]);
    }
  });

  it("shows the defaults the stack uses, API Gateway's quotas among them", () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}PORT=3001 /),
        expect.stringMatching(new RegExp(`^ {2}CONNECTION_IDLE_SECONDS=${API_GATEWAY_QUOTAS.idleTimeoutSeconds} `)),
        expect.stringMatching(/^ {2}EVENT_BUS_NAME=realtime-local .*empty/),
        expect.stringMatching(/^ {2}JWT_SECRET +the HS256 secret/),
      ]),
    );
  });
});
