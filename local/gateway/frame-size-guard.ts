/**
 * Watches the raw bytes a client sends and reports the first WebSocket frame
 * whose payload is larger than the limit. API Gateway limits single frames
 * (32 KiB) separately from whole, possibly fragmented, messages (128 KiB);
 * the `ws` library only knows the message limit, so frames are checked here,
 * from their headers, before `ws` has read the payload.
 */
export class FrameSizeGuard {
  private header: Buffer = Buffer.alloc(0);
  private payloadToSkip = 0;
  private tripped = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onOversize: (payloadBytes: number) => void,
  ) {}

  get oversize(): boolean {
    return this.tripped;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.tripped) {
      if (this.payloadToSkip > 0) {
        const skipped = Math.min(this.payloadToSkip, chunk.length - offset);
        this.payloadToSkip -= skipped;
        offset += skipped;
        continue;
      }
      const wanted = headerLength(this.header) - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + wanted)]);
      offset += Math.min(wanted, chunk.length - offset);
      if (this.header.length < headerLength(this.header)) continue;
      const payloadBytes = payloadLength(this.header);
      this.header = Buffer.alloc(0);
      if (payloadBytes > this.maxFrameBytes) {
        this.tripped = true;
        this.onOversize(payloadBytes);
        return;
      }
      this.payloadToSkip = payloadBytes;
    }
  }
}

/** Bytes of the frame header, as far as the bytes seen so far tell (RFC 6455 §5.2). */
function headerLength(header: Buffer): number {
  if (header.length < 2) return 2;
  const length7 = (header[1] as number) & 0x7f;
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
  const mask = (header[1] as number) & 0x80 ? 4 : 0;
  return 2 + extended + mask;
}

function payloadLength(header: Buffer): number {
  const length7 = (header[1] as number) & 0x7f;
  if (length7 === 126) return header.readUInt16BE(2);
  if (length7 === 127) return Number(header.readBigUInt64BE(2));
  return length7;
}
