/** The body of an API Gateway event as JSON: a WebSocket frame or an HTTP API request alike. */
export type JsonBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

/** The body's JSON (base64-decoded first when API Gateway encoded it), or a note that it is not JSON. */
export function jsonBodyOf(event: { readonly body?: string | null; readonly isBase64Encoded?: boolean }): JsonBody {
  const body = event.body ?? '';
  const raw = event.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}
