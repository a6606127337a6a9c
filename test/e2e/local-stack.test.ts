/**
 * `npm start` as a person runs it, and the whole local stack going away and
 * coming back under clients that keep running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../local/ports.js';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { dataIn, sdkClient, type TestClient } from '../support/realtime-clients.js';

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

const clients: TestClient[] = [];
let stack: LocalStack | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  for (const { client } of clients.splice(0)) client.close();
  await stack?.stop();
  stack = undefined;
  child?.kill('SIGKILL');
  child = undefined;
});

/** Runs `npm start` (its script, as npm would) and resolves with the demo page's URL once it prints it. */
function npmStart(env: Record<string, string>): Promise<{ pageUrl: string; output: () => string }> {
  const started = spawn(process.execPath, [tsxCli, 'local/start.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child = started;
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^Demo page +(\S+)$/m.exec(output);
      if (match?.[1] !== undefined) resolve({ pageUrl: match[1], output: () => output });
    };
    started.stdout?.on('data', onData);
    started.stderr?.on('data', onData);
    started.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready:\n${output}`)));
  });
}

describe('npm start', () => {
  it('prints the demo page on a line of its own, serves it and the SDK, mints dev tokens, and stops on Ctrl-C', async () => {
    const [port, dynamoDbPort] = [await freePort(), await freePort()];
    const { pageUrl, output } = await npmStart({ PORT: String(port), DYNAMODB_PORT: String(dynamoDbPort) });
    expect(pageUrl).toBe(`http://127.0.0.1:${port}/`);

    const page = await fetch(pageUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="connection-state"');
    const sdk = await fetch(new URL('realtime-client.js', pageUrl));
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    expect(await sdk.text()).toMatch(/RealtimeClient|export\{/);

    const minted = await fetch(new URL('dev/token', pageUrl), { method: 'POST', body: JSON.stringify({ name: 'Zoë Quinn' }) });
    const { token, userId, name } = (await minted.json()) as { token: string; userId: string; name: string };
    expect({ userId, name }).toEqual({ userId: 'zoe-quinn', name: 'Zoë Quinn' });
    const zoe = sdkClient(`ws://127.0.0.1:${port}`, 'unused', { getToken: () => token });
    clients.push(zoe);
    await zoe.client.connect();
    expect((await zoe.client.join('lobby')).members).toEqual([{ userId: 'zoe-quinn', name: 'Zoë Quinn' }]);

    const refused = await fetch(new URL('dev/token', pageUrl), { method: 'POST', body: '{"name": "  "}' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringMatching(/name/) });
    expect((await fetch(new URL('dev/token', pageUrl))).status).toBe(405);

    // 'close', not 'exit': it comes after the last of the output.
    const exited = new Promise<number | null>((resolve) => child?.once('close', (code) => resolve(code)));
    child?.kill('SIGINT');
    expect(await exited).toBe(0);
    // Every socket is closed with 1001 (its $disconnect runs) before the stack stops.
    expect(output()).toMatch(/SIGINT: stopping…\n[\s\S]*disconnected \S+ \(1001 Going away\)\n[\s\S]*stopped\.\n$/);
  });
});

describe('npm start with events out', () => {
  it('prints each event the handlers put on its local bus, one line each', async () => {
    const [port, dynamoDbPort] = [await freePort(), await freePort()];
    const { output } = await npmStart({ PORT: String(port), DYNAMODB_PORT: String(dynamoDbPort) });
    expect(output()).toMatch(/^ {2}Events out +PutEvents http:\/\/127\.0\.0\.1:\d+ +bus realtime-local, printed below as they arrive$/m);
    const yan = sdkClient(`ws://127.0.0.1:${port}`, 'yan');
    clients.push(yan);
    await yan.client.connect();

    await yan.client.join('lobby');
    yan.client.close();

    await vi.waitFor(() => {
      const events = output().split('\n').filter((line) => / event /.test(line)).map((line) => line.replace(/^\S+ +/, ''));
      expect(events).toEqual([
        'event realtime.room.occupied room=lobby users=1 connections=1',
        'event realtime.user.joined room=lobby user=yan users=1 connections=1',
        'event realtime.user.left room=lobby user=yan users=0 connections=0 reason=disconnected',
        'event realtime.room.vacated room=lobby users=0 connections=0 reason=disconnected',
      ]);
    });
    // Stopped as a person stops it, so that DynamoDB Local goes with it.
    const exited = new Promise<number | null>((resolve) => child?.once('close', (code) => resolve(code)));
    child?.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('the local stack stopped and started again', () => {
  it('finds its clients reconnecting by themselves, rejoining their rooms and chatting', async () => {
    const [port, dynamoDbPort] = [await freePort(), await freePort()];
    stack = await startLocalStack({ port, dynamoDbPort });
    const options = { reconnect: { baseMs: 200, capMs: 1_000 } };
    const amy = sdkClient(stack.url, 'amy', options);
    const ben = sdkClient(stack.url, 'ben', options);
    clients.push(amy, ben);
    await Promise.all([amy.client.connect(), ben.client.connect()]);
    await amy.client.join('standup');
    await ben.client.join('standup');
    await amy.client.send('standup', 'before the restart');
    await vi.waitFor(() => expect(dataIn(ben.messages, 'standup')).toEqual(['before the restart']));

    await stack.stop();
    await vi.waitFor(() => expect([amy.client.state, ben.client.state]).toEqual(['reconnecting', 'reconnecting']));
    stack = await startLocalStack({ port, dynamoDbPort });

    await vi.waitFor(() => expect([amy.client.state, ben.client.state]).toEqual(['open', 'open']), { timeout: 15_000 });
    // A fresh table: the room's counter starts again at 1, and the clients start the room again with it.
    expect(await ben.client.send('standup', 'after the restart')).toMatchObject({ seq: 1 });
    expect(await amy.client.send('standup', 'still here')).toMatchObject({ seq: 2 });
    await vi.waitFor(() => expect(dataIn(amy.messages, 'standup')).toEqual(['after the restart']));
    await vi.waitFor(() => expect(dataIn(ben.messages, 'standup')).toEqual(['before the restart', 'still here']));
    expect((await amy.client.members('standup')).map((member) => member.userId)).toEqual(['amy', 'ben']);
  });
});
