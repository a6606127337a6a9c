/**
 * Typed reads of the attributes of items the document client returns. Only
 * this code writes the table, so an attribute of the wrong type, or a
 * required one missing, is a bug or a corrupted item, not input to make the
 * best of: each reader throws an error naming the record, its key and the
 * attribute, and the request that read the item fails (INTERNAL for a frame).
 *
 * Dependency-free on purpose: the authorizer and the fan-out worker bundle
 * the store, and neither may bundle the frame schemas (zod).
 */

/** An item as the document client returns it: numbers as `number`, string sets as `Set<string>`, lists as arrays. */
export type Item = Record<string, unknown>;

/**
 * Which record an item is, for the error a malformed one raises: its kind
 * and, for reads that leave the key out of the item (a projection, an
 * update's returned attributes), the part of the key the item lacks.
 */
export interface RecordRef {
  readonly kind: string;
  readonly pk?: string;
  readonly sk?: string;
}

export function requiredString(item: Item, attribute: string, record: RecordRef): string {
  const value = item[attribute];
  if (typeof value === 'string') return value;
  throw malformedItem(item, record, attribute, `is ${describe(value)}, expected a string`);
}

export function requiredNumber(item: Item, attribute: string, record: RecordRef): number {
  const value = item[attribute];
  if (typeof value === 'number') return value;
  throw malformedItem(item, record, attribute, `is ${describe(value)}, expected a number`);
}

/** The number, or undefined when the item has no such attribute. */
export function optionalNumber(item: Item, attribute: string, record: RecordRef): number | undefined {
  const value = item[attribute];
  if (value === undefined || typeof value === 'number') return value;
  throw malformedItem(item, record, attribute, `is ${describe(value)}, expected a number`);
}

/** A list (DynamoDB `L`) of strings, returned as read: no copy. */
export function stringList(item: Item, attribute: string, record: RecordRef): readonly string[] {
  const value = item[attribute];
  if (!Array.isArray(value)) throw malformedItem(item, record, attribute, `is ${describe(value)}, expected a list of strings`);
  for (const element of value) {
    if (typeof element !== 'string') throw malformedItem(item, record, attribute, `holds ${describe(element)}, expected a list of strings`);
  }
  return value as string[];
}

/**
 * A string set (DynamoDB `SS`) as an array; an absent attribute is the empty
 * set, since DynamoDB stores no empty set and removes one emptied.
 */
export function stringSet(item: Item, attribute: string, record: RecordRef): string[] {
  const value = item[attribute];
  if (value === undefined) return [];
  if (!(value instanceof Set)) throw malformedItem(item, record, attribute, `is ${describe(value)}, expected a string set`);
  const strings: string[] = [];
  for (const element of value) {
    if (typeof element !== 'string') throw malformedItem(item, record, attribute, `holds ${describe(element)}, expected a string set`);
    strings.push(element);
  }
  return strings;
}

/** The error for an item whose `attribute` is not what its record holds; `problem` says how. */
export function malformedItem(item: Item, record: RecordRef, attribute: string, problem: string): Error {
  const key = `${keyPart(record.pk ?? item.pk)}/${keyPart(record.sk ?? item.sk)}`;
  return new Error(`Malformed ${record.kind} item ${key}: ${attribute} ${problem}`);
}

function keyPart(value: unknown): string {
  return typeof value === 'string' ? value : '?';
}

/** The kind of value, never the value itself: an item may hold what users wrote. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Set) return 'a set';
  if (value instanceof Uint8Array) return 'binary';
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value}`;
}
