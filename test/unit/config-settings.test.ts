import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_SETTINGS } from '../../lambdas/core/config-settings.js';

/** docs/operations.md's table of the functions' variables: variable → its default column. */
function documentedDefaults(): Map<string, string> {
  const markdown = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const rows = [...markdown.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)];
  return new Map(rows.map(([, variable, value]) => [variable as string, (value as string).trim()]));
}

describe('CONFIG_SETTINGS', () => {
  it('is what docs/operations.md lists, default for default', () => {
    const documented = documentedDefaults();
    const differing = Object.values(CONFIG_SETTINGS).filter((setting) => {
      const shown = documented.get(setting.key) ?? 'not listed';
      if (!('default' in setting)) return !/^(unset|required)/.test(shown);
      return shown !== (typeof setting.default === 'number' ? String(setting.default) : `\`${setting.default}\``);
    });
    expect(differing.map(({ key }) => key)).toEqual([]);
  });
});
