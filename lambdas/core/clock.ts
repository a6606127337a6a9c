/** Epoch seconds, the unit of every `expiresAt`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
