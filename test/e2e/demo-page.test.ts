/**
 * The demo page in a real browser (headless Debian Chromium) against the
 * local stack `npm start` runs: two people chat, and one of them loses the
 * connection and comes back with what was said meanwhile.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.js';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { launchChromium } from '../support/browser.js';
import { liveConnectionIds } from '../support/user-connections.js';
import { deleteConnection } from '../support/realtime-clients.js';

const ARTIFACTS = 'test-results';

let stack: LocalStack;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, dynamoDbPort: await freePort() });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Opens the page as a person: picks a name and connects. */
async function openAs(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${name}: ${message.text()}`);
  });
  await page.goto(stack.pageUrl);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('connect').click();
  await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
  return page;
}

async function joinRoom(page: Page, room: string): Promise<void> {
  await page.getByTestId('room-input').fill(room);
  await page.getByTestId('join').click();
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('send').click();
}

const texts = (page: Page) => page.getByTestId('messages').getByTestId('message-text').allTextContents();
const senders = (page: Page) => page.getByTestId('messages').getByTestId('sender').allTextContents();
const members = (page: Page) => page.getByTestId('members').getByTestId('member').allTextContents();
const state = (page: Page) => page.getByTestId('connection-state').getAttribute('data-state');

describe('the demo page', () => {
  let alice: Page;
  let bob: Page;

  it('lets two people join a room and see each other, their messages and the member list', async () => {
    alice = await openAs('Alice');
    bob = await openAs('Bob');
    await joinRoom(alice, 'lobby');
    await expect.poll(() => members(alice)).toEqual(['Alice (you)']);
    await joinRoom(bob, 'lobby');

    await expect.poll(() => members(alice)).toEqual(['Alice (you)', 'Bob']);
    await expect.poll(() => members(bob)).toEqual(['Alice', 'Bob (you)']);

    await say(alice, 'Hello Bob, the deploy is done.');
    await expect.poll(() => texts(bob)).toEqual(['Hello Bob, the deploy is done.']);
    expect(await senders(bob)).toEqual(['Alice']);

    await bob.getByTestId('message-input').pressSequentially('Great', { delay: 20 });
    await expect.poll(() => members(alice)).toEqual(['Alice (you)', 'Bobtyping…']);
    await bob.getByTestId('send').click();
    await expect.poll(() => texts(alice)).toEqual(['Hello Bob, the deploy is done.', 'Great']);
    await expect.poll(() => texts(bob)).toEqual(['Hello Bob, the deploy is done.', 'Great']);
  });

  it('reconnects by itself after the server drops its socket, and shows what was sent meanwhile, once', async () => {
    // Hold Alice's next token request, so that she stays away until Bob has spoken.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await alice.route('**/dev/token', async (route) => {
      await released;
      await route.continue();
    });

    const [connectionId] = await liveConnectionIds(stack, 'alice');
    await deleteConnection(stack.managementEndpoint, connectionId ?? '');
    await expect.poll(() => state(alice)).toBe('reconnecting');

    await say(bob, 'Alice, are you still there?');
    await expect.poll(() => bob.locator('.message.pending').count()).toBe(0);
    release();

    await expect.poll(() => state(alice)).toBe('open');
    await expect.poll(() => texts(alice)).toEqual(['Hello Bob, the deploy is done.', 'Great', 'Alice, are you still there?']);
    await say(alice, 'Back again.');
    await expect.poll(() => texts(bob)).toContain('Back again.');
    await expect.poll(() => members(bob)).toEqual(['Alice', 'Bob (you)']);
    expect(await liveConnectionIds(stack, 'alice')).not.toContain(connectionId);

    await alice.screenshot({ path: `${ARTIFACTS}/demo-alice.png` });
    await bob.screenshot({ path: `${ARTIFACTS}/demo-bob.png` });
    expect(pageErrors).toEqual([]);
  });
});
