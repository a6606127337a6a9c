/**
 * What every client of a soak run saw on the wire, read from the raw frames
 * (before the SDK handles them): error frames by code, API Gateway's
 * "Internal server error" frames (a handler that failed outright), and what
 * each sender's requests were refused with.
 */
export class FrameCounters {
  readonly errorFramesByCode: Record<string, number> = {};
  internalServerErrors = 0;
  readonly sendsRefusedByCode: Record<string, number> = {};
  readonly framesInByType: Record<string, number> = {};

  /** Counts one raw frame from the server. */
  see(raw: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const fields = frame as { type?: unknown; code?: unknown; message?: unknown };
    bump(this.framesInByType, String(fields.type));
    if (fields.type === 'error') bump(this.errorFramesByCode, String(fields.code));
    else if (fields.type === undefined && fields.message === 'Internal server error') this.internalServerErrors += 1;
  }

  sendRefused(code: string): void {
    bump(this.sendsRefusedByCode, code);
  }
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
