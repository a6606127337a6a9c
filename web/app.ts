/**
 * The demo chat page. It talks to the server through the client SDK only:
 * locally a development token is minted per name by `npm start`; pointed at
 * a deployment (`?url=wss://…&token=…`) it uses the token given.
 */
import { readTokenClaims, RealtimeClient, RealtimeError, type MessageFrame, type StateChange, type UserRef } from '../client/index.js';

interface ChatLine {
  readonly kind: 'message' | 'notice';
  readonly text: string;
  readonly from?: UserRef;
  readonly sentAt?: string;
  readonly mine?: boolean;
  readonly private?: boolean;
  status?: 'pending' | 'sent' | 'failed';
  detail?: string;
}

interface RoomView {
  readonly lines: ChatLine[];
  readonly members: Map<string, { name: string; connections: number }>;
  readonly typing: Map<string, { name: string; until: number }>;
  unread: number;
}

const TYPING_SHOWN_MS = 3_000;
/** Where private messages are listed; not a valid room name, so it cannot clash with one. */
const DIRECT = '@direct';
const LINES_KEPT = 300;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  state: document.querySelector<HTMLElement>('[data-testid="connection-state"]') ?? element('sign-in'),
  signIn: element<HTMLFormElement>('sign-in'),
  name: element<HTMLInputElement>('name'),
  connect: element<HTMLButtonElement>('connect'),
  who: element('who'),
  joinForm: element<HTMLFormElement>('join-form'),
  room: element<HTMLInputElement>('room'),
  rooms: element<HTMLUListElement>('rooms'),
  members: element<HTMLUListElement>('members'),
  roomTitle: element('room-title'),
  messages: element<HTMLOListElement>('messages'),
  typing: element('typing'),
  composer: element<HTMLFormElement>('composer'),
  message: element<HTMLInputElement>('message'),
  send: element<HTMLButtonElement>('send'),
  notice: element('notice'),
};

const params = new URLSearchParams(location.search);
const givenUrl = params.get('url');
const serverUrl = givenUrl ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
const givenToken = params.get('token');

let client: RealtimeClient | undefined;
let me: UserRef | undefined;
const rooms = new Map<string, RoomView>();
let active: string | undefined;

// ── signing in ─────────────────────────────────────────────────────────────

/** A development token from `npm start` (local only). */
async function devToken(name: string): Promise<{ token: string; userId: string; name: string }> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await response.json()) as { token?: string; userId?: string; name?: string; message?: string };
  if (!response.ok || body.token === undefined || body.userId === undefined) {
    throw new Error(body.message ?? `the token endpoint answered ${response.status}`);
  }
  return { token: body.token, userId: body.userId, name: body.name ?? name };
}

/** Who a token is for, read (not verified) from its claims. */
function claimsOf(token: string): UserRef {
  const { userId = '?', name } = readTokenClaims(token);
  return { userId, name: name ?? userId };
}

async function connect(): Promise<void> {
  const name = ui.name.value.trim();
  if (givenToken === null && name === '') return;
  if (givenToken === null && givenUrl !== null) {
    // Development tokens are for this local stack only; never hand one to another server.
    ui.notice.textContent = 'Add &token=<JWT> to the address: another server needs a token its issuer signed.';
    return;
  }
  ui.notice.textContent = '';
  let getToken: () => Promise<string>;
  if (givenToken !== null) {
    me = claimsOf(givenToken);
    getToken = () => Promise.resolve(givenToken);
  } else {
    // A fresh token for every connection attempt, as the SDK asks.
    getToken = async () => {
      const minted = await devToken(name);
      me = { userId: minted.userId, name: minted.name };
      return minted.token;
    };
  }
  const created = new RealtimeClient({ url: serverUrl, getToken });
  client = created;
  created.on('state', showState);
  created.on('joined', (frame) => {
    const view = roomView(frame.room);
    view.members.clear();
    for (const member of frame.members) view.members.set(member.userId, { name: member.name, connections: 1 });
    render();
    // Device counts come with `members`.
    created
      .members(frame.room)
      .then((members) => {
        view.members.clear();
        for (const member of members) view.members.set(member.userId, { name: member.name, connections: member.connections });
        render();
      })
      .catch(() => undefined);
  });
  // Presence can be announced twice (a drop noticed by two handlers at once): only a change is shown.
  created.on('user_joined', (event) => {
    const view = roomView(event.room);
    if (view.members.has(event.user.userId)) return;
    view.members.set(event.user.userId, { name: event.user.name, connections: 1 });
    addLine(event.room, { kind: 'notice', text: `${event.user.name} joined` });
  });
  created.on('user_left', (event) => {
    const view = roomView(event.room);
    view.typing.delete(event.user.userId);
    if (!view.members.delete(event.user.userId)) return render();
    addLine(event.room, { kind: 'notice', text: `${event.user.name} left` });
  });
  created.on('typing', (event) => {
    roomView(event.room).typing.set(event.user.userId, { name: event.user.name, until: Date.now() + TYPING_SHOWN_MS });
    render();
    setTimeout(render, TYPING_SHOWN_MS + 50);
  });
  created.on('message', receive);
  created.on('error', (error) => (ui.notice.textContent = describe(error)));

  ui.name.disabled = true;
  ui.connect.textContent = 'Disconnect';
  try {
    await created.connect();
    ui.who.textContent = me === undefined ? '' : `Signed in as ${me.name} (${me.userId})`;
    for (const room of rooms.keys()) if (room !== DIRECT) void join(room, false);
  } catch (error) {
    ui.notice.textContent = describe(error);
    disconnect();
  }
  render();
}

function disconnect(): void {
  client?.close();
  client = undefined;
  ui.name.disabled = givenToken !== null;
  ui.connect.textContent = 'Connect';
  ui.who.textContent = '';
  for (const view of rooms.values()) view.members.clear();
  render();
}

// ── rooms and messages ─────────────────────────────────────────────────────

function roomView(room: string): RoomView {
  let view = rooms.get(room);
  if (view === undefined) {
    view = { lines: [], members: new Map(), typing: new Map(), unread: 0 };
    rooms.set(room, view);
  }
  return view;
}

async function join(room: string, show = true): Promise<void> {
  if (client === undefined) return;
  roomView(room);
  if (show) active = room;
  render();
  try {
    await client.join(room);
  } catch (error) {
    ui.notice.textContent = describe(error);
  }
}

function receive(message: MessageFrame): void {
  const room = message.room ?? DIRECT;
  const text = typeof message.data === 'object' && message.data !== null && 'text' in message.data ? String(message.data.text) : JSON.stringify(message.data);
  addLine(room, {
    kind: 'message',
    text,
    from: message.from,
    sentAt: message.sentAt,
    mine: message.from.userId === me?.userId,
    private: message.room === undefined,
    status: 'sent',
  });
  roomView(room).typing.delete(message.from.userId);
  render();
}

function addLine(room: string, line: ChatLine): void {
  const view = roomView(room);
  view.lines.push(line);
  if (view.lines.length > LINES_KEPT) view.lines.splice(0, view.lines.length - LINES_KEPT);
  if (room !== active && line.kind === 'message') view.unread += 1;
  render();
}

async function send(): Promise<void> {
  const text = ui.message.value.trim();
  if (client === undefined || active === undefined || active === DIRECT || text === '') return;
  ui.message.value = '';
  const line: ChatLine = { kind: 'message', text, from: me, sentAt: new Date().toISOString(), mine: true, status: 'pending' };
  addLine(active, line);
  try {
    const ack = await client.send(active, { text });
    line.status = 'sent';
    line.detail = `#${ack.seq ?? ''}`;
  } catch (error) {
    line.status = 'failed';
    line.detail = describe(error);
  }
  render();
}

// ── rendering ──────────────────────────────────────────────────────────────

function showState(change: StateChange): void {
  if (active !== undefined && change.state !== change.previous) {
    if (change.state === 'reconnecting' && change.previous === 'open') addLine(active, { kind: 'notice', text: 'Connection lost; reconnecting…' });
    if (change.state === 'open' && change.previous === 'reconnecting') addLine(active, { kind: 'notice', text: 'Reconnected' });
  }
  ui.state.dataset.state = change.state;
  ui.state.title = change.reason ?? '';
  ui.state.textContent =
    change.state === 'open'
      ? 'connected'
      : change.state === 'connecting'
        ? 'connecting…'
        : change.state === 'reconnecting'
          ? change.retryInMs === undefined
            ? 'reconnecting…'
            : `reconnecting… (attempt ${change.attempt ?? 1}, in ${(change.retryInMs / 1000).toFixed(1)} s)`
          : 'not connected';
  render();
}

function render(): void {
  const connected = client !== undefined;
  ui.room.disabled = !connected;
  document.querySelector<HTMLButtonElement>('[data-testid="join"]')?.toggleAttribute('disabled', !connected);
  ui.message.disabled = ui.send.disabled = !connected || active === undefined || active === DIRECT;

  ui.rooms.replaceChildren(
    ...[...rooms.entries()].map(([room, view]) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = room === DIRECT ? 'Direct messages' : room;
      button.setAttribute('aria-current', String(room === active));
      if (view.unread > 0 && room !== active) {
        const badge = document.createElement('span');
        badge.className = 'unread';
        badge.textContent = String(view.unread);
        button.append(badge);
      }
      button.addEventListener('click', () => {
        active = room;
        view.unread = 0;
        render();
      });
      item.append(button);
      return item;
    }),
  );

  const view = active === undefined ? undefined : rooms.get(active);
  ui.roomTitle.textContent = active === undefined ? 'Join a room to start' : active === DIRECT ? 'Direct messages' : `# ${active}`;
  ui.roomTitle.classList.toggle('muted', active === undefined);
  if (view === undefined) {
    ui.members.replaceChildren();
    ui.messages.replaceChildren();
    ui.typing.textContent = '';
    return;
  }
  view.unread = 0;

  const now = Date.now();
  ui.members.replaceChildren(
    ...[...view.members.entries()]
      .sort(([, a], [, b]) => a.name.localeCompare(b.name))
      .map(([userId, member]) => {
        const item = document.createElement('li');
        item.dataset.testid = 'member';
        item.dataset.userId = userId;
        const name = document.createElement('span');
        name.textContent = userId === me?.userId ? `${member.name} (you)` : member.name;
        item.append(name);
        if (member.connections > 1) {
          const devices = document.createElement('span');
          devices.className = 'devices';
          devices.textContent = `${member.connections} devices`;
          item.append(devices);
        }
        if ((view.typing.get(userId)?.until ?? 0) > now) {
          const typing = document.createElement('span');
          typing.className = 'typing-dot';
          typing.textContent = 'typing…';
          item.append(typing);
        }
        return item;
      }),
  );

  const stickToBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
  ui.messages.replaceChildren(...view.lines.map(renderLine));
  if (stickToBottom) ui.messages.scrollTop = ui.messages.scrollHeight;

  const typists = [...view.typing.values()].filter((typist) => typist.until > now).map((typist) => typist.name);
  ui.typing.textContent = typists.length === 0 ? '' : `${typists.join(', ')} ${typists.length === 1 ? 'is' : 'are'} typing…`;
}

function renderLine(line: ChatLine): HTMLLIElement {
  const item = document.createElement('li');
  if (line.kind === 'notice') {
    item.className = 'system-line';
    item.textContent = line.text;
    return item;
  }
  item.dataset.testid = 'message';
  item.className = ['message', line.mine ? 'mine' : '', line.private ? 'private' : '', line.status ?? ''].join(' ').trim();
  const meta = document.createElement('div');
  meta.className = 'meta';
  const sender = document.createElement('span');
  sender.className = 'sender';
  sender.dataset.testid = 'sender';
  sender.textContent = line.from?.name ?? '?';
  const time = document.createElement('time');
  time.dateTime = line.sentAt ?? '';
  time.textContent = line.sentAt === undefined ? '' : new Date(line.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  meta.append(sender, time);
  if (line.private) {
    const tag = document.createElement('span');
    tag.textContent = 'private';
    meta.append(tag);
  }
  const text = document.createElement('div');
  text.className = 'text';
  text.dataset.testid = 'message-text';
  text.textContent = line.text;
  item.append(meta, text);
  if (line.mine && line.status !== 'sent') {
    const status = document.createElement('div');
    status.className = 'status';
    status.textContent = line.status === 'pending' ? 'sending…' : `not sent: ${line.detail ?? ''}`;
    item.append(status);
  }
  return item;
}

function describe(error: unknown): string {
  if (error instanceof RealtimeError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

// ── wiring ─────────────────────────────────────────────────────────────────

ui.signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  if (client === undefined) void connect();
  else disconnect();
});
ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.room.value.trim();
  if (room === '') return;
  ui.room.value = '';
  void join(room);
});
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});
// The SDK sends `typing` at most every 2 s per room, however often it is called.
ui.message.addEventListener('input', () => {
  if (active !== undefined) client?.typing(active);
});

if (givenToken !== null) {
  ui.name.value = claimsOf(givenToken).name;
  ui.name.disabled = true;
}
render();
