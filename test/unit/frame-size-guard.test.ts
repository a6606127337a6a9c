import { describe, expect, it } from 'vitest';
import { FrameSizeGuard } from '../../local/gateway/frame-size-guard.js';

/** A client frame as RFC 6455 §5.2 lays it out: masked, with 7-, 16- or 64-bit length. */
function clientFrame(payloadBytes: number, opcode = 0x1, fin = true): Buffer {
  const header: number[] = [(fin ? 0x80 : 0) | opcode];
  if (payloadBytes < 126) header.push(0x80 | payloadBytes);
  else if (payloadBytes < 65_536) header.push(0x80 | 126, payloadBytes >> 8, payloadBytes & 0xff);
  else {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(payloadBytes));
    header.push(0x80 | 127, ...length);
  }
  return Buffer.concat([Buffer.from(header), Buffer.from([1, 2, 3, 4]), Buffer.alloc(payloadBytes, 0x61)]);
}

function watch(limit: number) {
  const trips: number[] = [];
  const guard = new FrameSizeGuard(limit, (bytes) => trips.push(bytes));
  return { guard, trips };
}

describe('FrameSizeGuard', () => {
  it('lets frames up to the limit through, of every length encoding', () => {
    const { guard, trips } = watch(70_000);
    guard.push(Buffer.concat([clientFrame(5), clientFrame(300), clientFrame(65_536), clientFrame(70_000)]));
    expect(trips).toEqual([]);
    expect(guard.oversize).toBe(false);
  });

  it('reports the first frame over the limit from its header alone', () => {
    const { guard, trips } = watch(32 * 1024);
    const frame = clientFrame(32 * 1024 + 1);
    guard.push(frame.subarray(0, 8));
    expect(trips).toEqual([32 * 1024 + 1]);
    expect(guard.oversize).toBe(true);
  });

  it('follows frames split anywhere across chunks, headers included', () => {
    const { guard, trips } = watch(1_000);
    const stream = Buffer.concat([clientFrame(900), clientFrame(200), clientFrame(1_001)]);
    for (let at = 0; at < stream.length; at += 3) guard.push(stream.subarray(at, at + 3));
    expect(trips).toEqual([1_001]);
  });

  it('checks each fragment of a message on its own, as API Gateway limits frames', () => {
    const { guard, trips } = watch(1_000);
    guard.push(Buffer.concat([clientFrame(1_000, 0x1, false), clientFrame(1_000, 0x0, false), clientFrame(1_000, 0x0, true)]));
    expect(trips).toEqual([]);
  });

  it('reports once and then stops reading', () => {
    const { guard, trips } = watch(10);
    guard.push(Buffer.concat([clientFrame(11), clientFrame(12)]));
    guard.push(clientFrame(13));
    expect(trips).toEqual([11]);
  });
});
