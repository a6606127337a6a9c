/**
 * Settings as tables: each entry names the key it is read from, its kind, its
 * default (or that it is required) and what it means, and one reader turns a
 * source's raw values into a typed, frozen object or an error naming the key
 * and the value. The functions read their environment with it at cold start,
 * the CDK app its context, the local stack its environment: hence no
 * dependencies and no Node or CDK imports, and as little code as will do.
 */

interface SettingEntry {
  /** The environment variable or context key. */
  readonly key: string;
  /** One line on what it sets; `npm start --help` prints these. */
  readonly doc: string;
  /** Unset and without a default, reading fails. */
  readonly required?: true;
}

export interface IntegerSetting extends SettingEntry {
  readonly kind: 'positiveInt' | 'nonNegativeInt';
  readonly default?: number;
}

export interface BooleanSetting extends SettingEntry {
  readonly kind: 'boolean';
  readonly default?: boolean;
}

export interface StringSetting extends SettingEntry {
  readonly kind: 'string';
  readonly default?: string;
  /** An empty value is a value, not unset (where "set it empty" means "off"). */
  readonly allowEmpty?: true;
}

export interface EnumSetting extends SettingEntry {
  readonly kind: 'enum';
  readonly values: readonly string[];
  /** Matched upper-cased, so `debug` reads as `DEBUG`. */
  readonly upperCase?: true;
  readonly default?: string;
}

/** Comma-separated, each item trimmed. */
export interface ListSetting extends SettingEntry {
  readonly kind: 'list';
  readonly default?: readonly string[];
}

export type Setting = IntegerSetting | BooleanSetting | StringSetting | EnumSetting | ListSetting;

/** Setting entries by the name the reader's result gives each. */
export type SettingsSchema = { readonly [Name in string]: Setting };

/** What a setting of this kind reads as. */
export type KindValue<S extends Setting> = S extends IntegerSetting
  ? number
  : S extends BooleanSetting
    ? boolean
    : S extends { readonly kind: 'enum'; readonly values: readonly (infer Value)[] }
      ? Value
      : S extends ListSetting
        ? readonly string[]
        : string;

/** A setting with a default, or required, always has a value; any other may be unset. */
export type SettingValue<S extends Setting> = S extends { readonly default: unknown } | { readonly required: true } ? KindValue<S> : KindValue<S> | undefined;

/** What `readSettings` gives for a schema. */
export type Settings<Schema extends SettingsSchema> = { readonly [Name in keyof Schema]: SettingValue<Schema[Name]> };

/** Where raw values come from, and how a message names a key. */
export interface SettingsSource {
  /** The raw value of a key: the environment gives strings, CDK context anything JSON. */
  readonly get: (key: string) => unknown;
  /** The key as its user would recognise it, to start a message: `Environment variable PORT`. */
  readonly name: (key: string) => string;
}

/** A process environment (by default this process's) as a settings source. */
export function environmentSource(environment: Readonly<Record<string, string | undefined>> = process.env): SettingsSource {
  return { get: (key) => environment[key], name: (key) => `Environment variable ${key}` };
}

/**
 * Whether a raw value counts as given. An empty one does not: a variable set
 * to nothing (or `-c key=`) is how a shell or a template leaves it unset.
 */
export function isGiven(raw: unknown): boolean {
  return raw !== undefined && raw !== null && raw !== '';
}

/** Reads every setting of the schema from the source; throws on the first missing or unusable one. */
export function readSettings<Schema extends SettingsSchema>(schema: Schema, source: SettingsSource): Settings<Schema> {
  const settings: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(schema)) settings[name] = readSetting(setting, source);
  return Object.freeze(settings) as Settings<Schema>;
}

function readSetting(setting: Setting, source: SettingsSource): unknown {
  const raw = source.get(setting.key);
  if (!isGiven(raw) && !(raw === '' && setting.kind === 'string' && setting.allowEmpty === true)) {
    if (setting.default === undefined && setting.required === true) throw new Error(`${source.name(setting.key)} is required`);
    return setting.default;
  }
  const value = parse(setting, raw);
  if (value === undefined) throw new Error(`${source.name(setting.key)} must be ${expectation(setting)}, got ${JSON.stringify(raw)}`);
  return value;
}

/** The value, or undefined when the raw value is not one of this kind. */
function parse(setting: Setting, raw: unknown): unknown {
  switch (setting.kind) {
    case 'positiveInt':
    case 'nonNegativeInt': {
      // Strings from the environment and `-c key=value`; cdk.json may give a number.
      const number = typeof raw === 'string' ? Number(raw) : raw;
      const least = setting.kind === 'positiveInt' ? 1 : 0;
      return typeof number === 'number' && Number.isInteger(number) && number >= least ? number : undefined;
    }
    case 'boolean':
      return raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : undefined;
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'enum': {
      const value = typeof raw === 'string' && setting.upperCase === true ? raw.toUpperCase() : raw;
      return typeof value === 'string' && setting.values.includes(value) ? value : undefined;
    }
    case 'list':
      return typeof raw === 'string' ? raw.split(',').map((item) => item.trim()) : undefined;
  }
}

function expectation(setting: Setting): string {
  switch (setting.kind) {
    case 'positiveInt':
      return 'a positive integer';
    case 'nonNegativeInt':
      return 'a non-negative integer';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'enum':
      return setting.values.length === 2 ? `"${setting.values[0]}" or "${setting.values[1]}"` : `one of ${setting.values.join(', ')}`;
    case 'list':
      return 'a comma-separated list';
  }
}

/**
 * The variables that give these settings these values, the reverse of
 * `readSettings`: how the stack and the local stack write a function's
 * environment without spelling its variable names again. Undefined values
 * are left out, so the function's default applies.
 */
export function settingsVariables<Schema extends SettingsSchema>(
  schema: Schema,
  values: { readonly [Name in keyof Schema]?: KindValue<Schema[Name]> | undefined },
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const setting = schema[name];
    if (value === undefined || setting === undefined) continue;
    variables[setting.key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return variables;
}
