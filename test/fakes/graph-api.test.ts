import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startFakeGraphApi, type FakeGraphApi, type FakeGraphApiOptions } from '../../devkit/fakes/graph-api';
import { graphJson, metaJson, signWebhook, verifyWebhookSignature, webhookBytes } from '../../devkit/fakes/meta-json';
import {
	context,
	ctwaReferral,
	echo,
	echoesChange,
	envelope,
	messagesChange,
	msg,
	status,
	statusesChange,
	userPreferencesChange,
	valueErrorsChange,
	type WebhookEnvelope,
} from '../../devkit/fakes/webhook-payloads';

const SECRET = 'test_app_secret';
const TOKEN = 'EAAGtest0000token';
const PNID = '106540352242922';
const WABA = '102290129340398';
const CUSTOMER = '16505551234';
const BASE: FakeGraphApiOptions = { accessToken: TOKEN, appSecret: SECRET, phoneNumberId: PNID, displayPhoneNumber: '15550783881', businessAccountId: WABA };

// ---------------------------------------------------------------- harness

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
});

async function start(extra: Partial<FakeGraphApiOptions> = {}): Promise<FakeGraphApi> {
	const graph = await startFakeGraphApi({ ...BASE, ...extra });
	cleanups.push(() => graph.close());
	return graph;
}

interface Received {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	raw: Buffer;
}
/** A tiny webhook receiver that verifies like a correct node: HMAC over the raw bytes; GET handshake with 'vt'. */
async function receiver(): Promise<{ url: string; got: Received[]; next: () => Promise<Received> }> {
	const got: Received[] = [];
	const waiters: ((r: Received) => void)[] = [];
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (d: Buffer) => chunks.push(d));
		req.on('end', () => {
			const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks) };
			if (r.method === 'GET') {
				const q = new URL(r.url, 'http://x').searchParams;
				const ok = q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === 'vt';
				res.writeHead(ok ? 200 : 403, { 'Content-Type': 'text/plain' }).end(ok ? q.get('hub.challenge') : 'forbidden');
				return;
			}
			got.push(r);
			const sig = req.headers['x-hub-signature-256'] as string | undefined;
			res.writeHead(verifyWebhookSignature(SECRET, r.raw, sig) ? 200 : 401).end();
			waiters.shift()?.(r);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	cleanups.push(() => new Promise((resolve) => {
		server.closeAllConnections();
		server.close(() => resolve());
	}));
	let seen = 0;
	const next = () => (seen < got.length ? Promise.resolve(got[seen++]) : new Promise<Received>((resolve) => waiters.push((r) => (seen++, resolve(r)))));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, got, next };
}

async function call(graph: FakeGraphApi, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
	const res = await fetch(graph.baseUrl + path, {
		method,
		headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	let json;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}
const send = (graph: FakeGraphApi, body: object, version = 'v23.0') =>
	call(graph, 'POST', `/${version}/${PNID}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', ...body });
const text = (to: unknown, bodyText = 'hi') => ({ to, type: 'text', text: { body: bodyText } });

// ---------------------------------------------------------------- serialisation & signature

describe('Meta JSON bytes and signature', () => {
	const worked =
		'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Jos\\u00e9"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.TEST1","timestamp":"1749416383","type":"text","text":{"body":"Ol\\u00e1"}}]},"field":"messages"}]}]}';

	it('reproduces the worked example of reference §1.2 byte for byte', () => {
		const account = { phoneNumberId: PNID, displayPhoneNumber: '15550783881', businessAccountId: WABA };
		const payload = envelope(account, [
			messagesChange(account, [msg.text(CUSTOMER, 'Olá', { id: 'wamid.TEST1', timestamp: 1749416383 })], { names: 'José' }),
		]);
		expect(webhookBytes(payload).toString()).toBe(worked);
		expect(signWebhook(SECRET, worked)).toBe('sha256=e3842096a332925228c728ab947d48d83b6f5470f473cc7e8f064826d2ddd1b8');
		expect(signWebhook(SECRET, JSON.stringify(JSON.parse(worked)))).toMatch(/^sha256=0486e2ac/);
	});

	it('escapes every non-ASCII char as lowercase \\uXXXX (surrogate pairs for emoji); / only in Graph responses', () => {
		expect(metaJson({ s: 'é ä öå 😮 a/b' })).toBe('{"s":"\\u00e9 \\u00e4 \\u00f6\\u00e5 \\ud83d\\ude2e a/b"}');
		expect(graphJson({ url: 'https://x/y', m: 'image/png' })).toBe('{"url":"https:\\/\\/x\\/y","m":"image\\/png"}');
		expect(JSON.parse(metaJson({ s: 'é😮' }))).toEqual({ s: 'é😮' });
	});
});

// ---------------------------------------------------------------- webhooks out

describe('deliver()', () => {
	it('POSTs Meta-escaped, validly signed bytes that a re-serialising verifier would reject', async () => {
		const graph = await start();
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		const [result] = await graph.deliver(msg.text(CUSTOMER, 'Café ä 😮 https://x.y/z'), { names: 'Zoë' });
		expect(result.status).toBe(200);
		const r = rx.got[0];
		const raw = r.raw.toString();
		expect(raw).toContain('Caf\\u00e9 \\u00e4 \\ud83d\\ude2e https://x.y/z');
		expect(raw).toContain('"profile":{"name":"Zo\\u00eb"}');
		expect(/[^\x00-\x7f]/.test(raw)).toBe(false);
		expect(r.headers['content-type']).toBe('application/json');
		expect(r.headers['x-hub-signature-256']).toBe(signWebhook(SECRET, r.raw));
		expect(verifyWebhookSignature(SECRET, r.raw, r.headers['x-hub-signature-256'] as string)).toBe(true);
		expect(verifyWebhookSignature(SECRET, JSON.stringify(JSON.parse(raw)), r.headers['x-hub-signature-256'] as string)).toBe(false);
		expect(graph.webhooks[0].kind).toBe('delivery');
	});

	it.each(['wrong', 'missing', 'malformed', 'unprefixed', 'reserialised'] as const)('signature %s is rejected by a correct receiver', async (mode) => {
		const graph = await start();
		const rx = await receiver();
		const [r] = await graph.deliver(msg.text(CUSTOMER, 'Olá'), { url: rx.url, signature: mode });
		expect(r.status).toBe(401);
		const header = rx.got[0].headers['x-hub-signature-256'];
		if (mode === 'missing') expect(header).toBeUndefined();
		if (mode === 'unprefixed') expect(header).toMatch(/^[0-9a-f]{64}$/);
		if (mode === 'reserialised') expect(header).toBe(signWebhook(SECRET, JSON.stringify(JSON.parse(rx.got[0].raw.toString()))));
	});

	it('redelivers the same bytes N times (sequential and concurrent) and batches entries/changes/messages', async () => {
		const graph = await start();
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		const m = msg.text(CUSTOMER, 'dup');
		expect((await graph.deliver(m, { times: 3 })).map((r) => r.status)).toEqual([200, 200, 200]);
		expect((await graph.deliver(m, { duplicate: 1, concurrent: true })).length).toBe(2);
		expect(new Set(rx.got.map((g) => g.raw.toString())).size).toBe(1);

		const a = graph.account;
		const batch = envelope(a, [
			{ id: WABA, changes: [messagesChange(a, [msg.text(CUSTOMER, '1'), msg.text('447700900123', '2')]), statusesChange(a, [status('wamid.X', CUSTOMER, 'read')])] },
			{ id: WABA, changes: [valueErrorsChange(a), userPreferencesChange(a, CUSTOMER, 'stop'), echoesChange(a, [echo(a, CUSTOMER, 'Hi, this is Ana')])] },
		]);
		await graph.deliver(batch);
		const body = JSON.parse(rx.got.at(-1)?.raw.toString() ?? '') as WebhookEnvelope;
		expect(body.entry).toHaveLength(2);
		expect(body.entry[0].changes[0].value.contacts).toEqual([
			{ profile: { name: 'Test User' }, wa_id: CUSTOMER },
			{ profile: { name: 'Test User' }, wa_id: '447700900123' },
		]);
		expect(body.entry[1].changes.map((c) => c.field)).toEqual(['messages', 'user_preferences', 'smb_message_echoes']);
		expect(body.entry[1].changes[0].value.errors).toEqual([expect.objectContaining({ code: 130429, title: 'Rate limit hit' })]);
	});

	it('runs the GET verification handshake', async () => {
		const graph = await start();
		const rx = await receiver();
		expect(await graph.verifyWebhook(rx.url, { verifyToken: 'vt', challenge: '1158201444' })).toMatchObject({ status: 200, body: '1158201444', ok: true });
		expect(await graph.verifyWebhook(rx.url, { verifyToken: 'nope' })).toMatchObject({ status: 403, ok: false });
	});
});

describe('message builders (reference §2)', () => {
	it('build every inbound type with Meta field names', () => {
		const media = { id: '1003383421387256', mimeType: 'image/jpeg', sha256Base64: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=' };
		const ctx = context.reply('15550783881', 'wamid.OUT');
		expect(msg.image(CUSTOMER, media, { caption: 'Taj', referral: ctwaReferral() })).toMatchObject({
			type: 'image',
			image: { caption: 'Taj', mime_type: 'image/jpeg', sha256: media.sha256Base64, id: media.id },
			referral: { source_type: 'ad' },
		});
		expect(msg.audio(CUSTOMER, { ...media, mimeType: 'audio/ogg; codecs=opus' }).audio).toMatchObject({ voice: true, mime_type: 'audio/ogg; codecs=opus' });
		expect(msg.document(CUSTOMER, media, { filename: 'r.pdf' }).document).toMatchObject({ filename: 'r.pdf' });
		expect(msg.sticker(CUSTOMER, media, { animated: true }).sticker).toMatchObject({ animated: true });
		expect(msg.video(CUSTOMER, media).video).toMatchObject({ id: media.id });
		expect(msg.location(CUSTOMER, { latitude: 37.4, longitude: -122.1 }).location).toEqual({ latitude: 37.4, longitude: -122.1 });
		expect(msg.contacts(CUSTOMER, [{ name: { formatted_name: 'Chandler Bing' } }]).contacts).toHaveLength(1);
		expect(Object.keys(msg.buttonReply(CUSTOMER, { id: 'b', title: 'B' }, { context: ctx }))[0]).toBe('context');
		expect(msg.listReply(CUSTOMER, { id: 'r', title: 'R' }).interactive).toEqual({ type: 'list_reply', list_reply: { id: 'r', title: 'R' } });
		expect(msg.nfmReply(CUSTOMER, { response: { flow_token: 't' } }).interactive).toMatchObject({ nfm_reply: { response_json: '{"flow_token":"t"}' } });
		expect(msg.button(CUSTOMER, { payload: 'Stop', text: 'Stop' }).button).toEqual({ payload: 'Stop', text: 'Stop' });
		expect(msg.reaction(CUSTOMER, 'wamid.OUT', '😮').reaction).toEqual({ message_id: 'wamid.OUT', emoji: '😮' });
		expect(msg.reaction(CUSTOMER, 'wamid.OUT', undefined).reaction).toEqual({ message_id: 'wamid.OUT' });
		expect(msg.order(CUSTOMER, { catalog_id: '1', product_items: [] }).order).toMatchObject({ text: '' });
		expect(msg.requestWelcome(CUSTOMER)).toEqual({ from: CUSTOMER, id: expect.stringMatching(/^wamid\.HBgL/), timestamp: expect.any(String), type: 'request_welcome' });
		expect(msg.unsupported(CUSTOMER, 'poll_creation')).toMatchObject({ errors: [{ code: 131051 }], unsupported: { type: 'poll_creation' } });
		const sys = msg.system(CUSTOMER, { newWaId: '12195555358' });
		expect(messagesChange({ phoneNumberId: PNID, displayPhoneNumber: '15550783881', businessAccountId: WABA }, [sys]).value.contacts).toBeUndefined();
	});
});

// ---------------------------------------------------------------- sending

describe('POST /{pnid}/messages', () => {
	it('accepts a text send with the real response shape and headers', async () => {
		const graph = await start({ window131047: 'off' });
		const r = await send(graph, text('+1 (650) 555-1234'));
		expect(r.status).toBe(200);
		expect(r.json).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: '+1 (650) 555-1234', wa_id: CUSTOMER }], messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/) }] });
		expect(r.headers.get('content-type')).toBe('application/json; charset=UTF-8');
		expect(r.headers.get('facebook-api-version')).toBe('v23.0');
		expect(r.headers.get('x-fb-trace-id')).toBeTruthy();
		expect(r.headers.get('x-fb-request-id')).toBeTruthy();
		expect(JSON.parse(r.headers.get('x-business-use-case-usage') ?? '{}')[WABA][0]).toMatchObject({ type: 'whatsapp' });
		expect(r.headers.get('x-ad-api-version-warning')).toBeNull();
		expect(graph.sent[0]).toMatchObject({ id: r.json.messages[0].id, waId: CUSTOMER, type: 'text' });
		expect((await send(graph, text(16505551234))).json.contacts).toEqual([{ input: '16505551234', wa_id: CUSTOMER }]);
	});

	it('accepts a reply-button message as in reference §3.2 (three buttons, 20-character titles, header and footer)', async () => {
		const graph = await start({ window131047: 'off' });
		const interactive = {
			type: 'button',
			header: { type: 'text', text: 'Workshop Details' },
			body: { text: 'Your workshop is at 9am tomorrow.' },
			footer: { text: 'Lucky Shrub' },
			action: {
				buttons: [
					{ type: 'reply', reply: { id: 'change-button', title: 'Change' } },
					{ type: 'reply', reply: { id: 'cancel-button', title: 'Cancel' } },
					{ type: 'reply', reply: { id: 'x'.repeat(256), title: 'y'.repeat(20) } },
				],
			},
		};
		const r = await send(graph, { to: CUSTOMER, type: 'interactive', interactive });
		expect(r.status).toBe(200);
		expect(graph.sent[0]).toMatchObject({ id: r.json.messages[0].id, waId: CUSTOMER, type: 'interactive', body: { interactive } });
	});

	it('auto-upgrades expired versions with x-ad-api-version-warning', async () => {
		const graph = await start({ window131047: 'off' });
		const r = await send(graph, text(CUSTOMER), 'v19.0');
		expect(r.status).toBe(200);
		expect(r.headers.get('facebook-api-version')).toBe('v20.0');
		expect(r.headers.get('x-ad-api-version-warning')).toBe('The call has been auto-upgraded to v20.0 as v19.0 will be deprecated.');
	});

	it.each([
		['missing messaging_product', { messaging_product: undefined, ...text(CUSTOMER) }, 100, '(#100) The parameter messaging_product is required.', undefined],
		['text over 4096', text(CUSTOMER, 'x'.repeat(4097)), 100, "(#100) Param text['body'] must be at most 4096 characters long.", undefined],
		['missing text body', { to: CUSTOMER, type: 'text', text: {} }, 131008, '(#131008) Required parameter is missing', "The parameter text['body'] is required."],
		['caption over 1024', { to: CUSTOMER, type: 'image', image: { id: '1', caption: 'c'.repeat(1025) } }, 100, "(#100) Param image['caption'] must be at most 1024 characters long.", undefined],
		['malformed to', { to: 'abc', type: 'text', text: { body: 'x' } }, 131009, '(#131009) Parameter value is not valid', 'The phone number is malformed: Please use the format: +1234567890.'],
		['unknown type', { to: CUSTOMER, type: 'gif', gif: {} }, 100, expect.stringMatching(/^\(#100\) Param type must be one of \{AUDIO, .*\} - got "gif"\.$/), undefined],
		['template without name', { to: CUSTOMER, type: 'template', template: { language: { code: 'en_US' } } }, 131008, '(#131008) Required parameter is missing', "The parameter template['name'] is required."],
		['4 reply buttons', 
			{ to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'b' }, action: { buttons: [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `${i}`, title: `${i}` } })) } } },
			131009, '(#131009) Parameter value is not valid', 'Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3',
		],
		['button title over 20', 
			{ to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'b' }, action: { buttons: [{ type: 'reply', reply: { id: '1', title: 'x'.repeat(21) } }] } } },
			131009, '(#131009) Parameter value is not valid', 'Button title length invalid. Min length: 1, Max length: 20',
		],
		['a reply button of another type', 
			{ to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'b' }, action: { buttons: [{ type: 'reply', reply: { id: '1', title: 'Yes' } }, { type: 'url', reply: { id: '2', title: 'No' } }] } } },
			100, `(#100) Param interactive['action']['buttons'][1]['type'] must be one of {REPLY} - got "url".`, undefined,
		],
		['duplicate button titles', 
			{ to: CUSTOMER, type: 'interactive', interactive: { type: 'button', body: { text: 'b' }, action: { buttons: [{ type: 'reply', reply: { id: '1', title: 'Yes' } }, { type: 'reply', reply: { id: '2', title: 'Yes' } }] } } },
			131009, '(#131009) Parameter value is not valid', 'Button titles must be unique.',
		],
		['11 list rows', 
			{ to: CUSTOMER, type: 'interactive', interactive: { type: 'list', body: { text: 'b' }, action: { button: 'Pick', sections: [{ title: 'S', rows: Array.from({ length: 11 }, (_, i) => ({ id: `${i}`, title: `${i}` })) }] } } },
			131009, '(#131009) Parameter value is not valid', 'Total row count exceed max allowed count: 10',
		],
	])('rejects %s', async (_label, body, code, message, details) => {
		const graph = await start({ window131047: 'off' });
		const r = await call(graph, 'POST', `/v23.0/${PNID}/messages`, { messaging_product: 'whatsapp', ...body });
		expect(r.status).toBe(400);
		expect(r.json.error).toEqual({
			message,
			type: 'OAuthException',
			code,
			...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
			...(code === 131009 ? { error_subcode: 2494010 } : {}),
			fbtrace_id: expect.stringMatching(/^A[\w-]{22}$/),
		});
		expect(r.headers.get('www-authenticate')).toContain('invalid_request');
		expect(graph.sent).toHaveLength(0);
	});

	it('rejects missing/wrong/expired tokens with 401 code 190 and unknown ids with GraphMethodException 100/33', async () => {
		const graph = await start();
		const missing = await call(graph, 'POST', `/v23.0/${PNID}/messages`, text(CUSTOMER), null);
		expect(missing.status).toBe(401);
		expect(missing.json.error).toMatchObject({ code: 190, type: 'OAuthException', message: 'Invalid OAuth access token - Cannot parse access token' });
		expect((await call(graph, 'GET', `/v23.0/${PNID}`, undefined, 'EAAGwrong')).status).toBe(401);
		graph.setTokenExpired(true);
		const expired = await call(graph, 'GET', `/v23.0/${PNID}`);
		expect(expired.status).toBe(401);
		expect(expired.json.error).toMatchObject({ code: 190, error_subcode: 463, message: expect.stringMatching(/^Error validating access token: Session has expired on /) });
		expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
		graph.setTokenExpired(false);
		const unknown = await call(graph, 'POST', '/v23.0/123123/messages', { messaging_product: 'whatsapp', ...text(CUSTOMER) });
		expect(unknown.status).toBe(400);
		expect(unknown.text).toContain("Object with ID '123123' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https:\\/\\/developers.facebook.com\\/docs\\/graph-api");
		expect(unknown.json.error).toMatchObject({ message: expect.stringMatching(/^Unsupported post request\. /), type: 'GraphMethodException', code: 100, error_subcode: 33 });
		expect(graph.requests.map((r) => [r.status, r.hasAuth])).toEqual([[401, false], [401, true], [401, true], [400, true]]);
	});

	it('marks inbound messages as read (+ typing indicator) and rejects outgoing/unknown ids with the real bodies', async () => {
		const graph = await start({ window131047: 'off' });
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		const inbound = msg.text(CUSTOMER, 'hello');
		await graph.deliver(inbound);
		expect((await send(graph, { status: 'read', message_id: inbound.id })).json).toEqual({ success: true });
		expect((await send(graph, { status: 'read', message_id: inbound.id, typing_indicator: { type: 'text' } })).text).toBe('{"success":true}');
		expect(graph.readReceipts).toHaveLength(2);
		expect(graph.typingIndicators).toEqual([expect.objectContaining({ messageId: inbound.id, typing: true })]);

		const out = (await send(graph, text(CUSTOMER))).json.messages[0].id as string;
		const outgoing = await send(graph, { status: 'read', message_id: out });
		expect(outgoing.status).toBe(400);
		expect(outgoing.json.error).toEqual({
			message: '(#100) Invalid parameter',
			type: 'OAuthException',
			code: 100,
			error_data: { messaging_product: 'whatsapp', details: `Message supplied to mark message as read API with message ID: ${out} is outgoing. Please use an incoming message ID.` },
			fbtrace_id: expect.any(String),
		});
		const unknown = await send(graph, { status: 'read', message_id: 'wamid.NOPE' });
		expect(unknown.json.error.error_data.details).toBe('Please check the message ID you have provided.');
	});
});

describe('24-hour window, statuses and rate limits', () => {
	it('accepts a send outside the window, then posts a signed failed status with 131047', async () => {
		const graph = await start();
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		const r = await send(graph, text(CUSTOMER));
		expect(r.status).toBe(200);
		const hook = await rx.next();
		expect(verifyWebhookSignature(SECRET, hook.raw, hook.headers['x-hub-signature-256'] as string)).toBe(true);
		const s = (JSON.parse(hook.raw.toString()) as WebhookEnvelope).entry[0].changes[0].value.statuses as unknown[];
		expect(s).toEqual([
			{
				id: r.json.messages[0].id,
				status: 'failed',
				timestamp: expect.stringMatching(/^\d+$/),
				recipient_id: CUSTOMER,
				errors: [
					{
						code: 131047,
						title: 'Re-engagement message',
						message: 'Re-engagement message',
						error_data: { details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
						href: '/documentation/business-messaging/whatsapp/support/error-codes',
					},
				],
			},
		]);
		// templates are allowed outside the window
		const t = await send(graph, { to: CUSTOMER, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
		expect(t.json.messages[0]).toEqual({ id: expect.any(String), message_status: 'accepted' });
		await graph.settle();
		expect(rx.got).toHaveLength(1);
	});

	it('opens the window on delivered inbound messages, closes it after 24 h, and supports sync 131047', async () => {
		const graph = await start({ window131047: 'sync' });
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		await graph.deliver(msg.text(CUSTOMER, 'hi', { timestamp: new Date(graph.now()) }));
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
		graph.advanceClock(24 * 3600_000 + 1000);
		const late = await send(graph, text(CUSTOMER));
		expect(late.status).toBe(400);
		expect(late.json.error).toMatchObject({ code: 131047, message: '(#131047) Re-engagement message' });
		graph.setLastInbound(CUSTOMER, new Date(graph.now() - 60_000));
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
	});

	it('emits sent → delivered → read status webhooks when enabled', async () => {
		const graph = await start({ emitStatuses: true });
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		graph.setLastInbound(CUSTOMER, new Date(graph.now()));
		const id = (await send(graph, text(CUSTOMER))).json.messages[0].id;
		const got = [await rx.next(), await rx.next(), await rx.next()].map((h) => (JSON.parse(h.raw.toString()) as WebhookEnvelope).entry[0].changes[0].value.statuses as Record<string, unknown>[]);
		expect(got.map((s) => s[0].status)).toEqual(['sent', 'delivered', 'read']);
		expect(got[0][0]).toMatchObject({ id, recipient_id: CUSTOMER, pricing: { billable: false, category: 'service' }, conversation: { origin: { type: 'service' } } });
		expect(got[2][0].pricing).toBeUndefined();
		await expect(graph.waitFor('webhooks', (w) => w.statuses.some((s) => s.status === 'read'))).resolves.toMatchObject({ kind: 'status' });
	});

	it('enforces the pair rate limit (131056) and the global throughput (130429) on the injected clock', async () => {
		const graph = await start({ window131047: 'off', pairRateLimit: { burst: 1, intervalMs: 6000 }, globalRateLimit: { max: 2, windowMs: 1000 } });
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
		const pair = await send(graph, text(CUSTOMER));
		expect(pair.status).toBe(400);
		expect(pair.json.error).toMatchObject({ code: 131056, message: '(#131056) (Business Account, Consumer Account) pair rate limit hit', error_data: { messaging_product: 'whatsapp' } });
		expect((await send(graph, text('447700900123'))).status).toBe(200);
		const global = await send(graph, text('447700900124'));
		expect(global.json.error).toEqual({
			message: '(#130429) Rate limit hit',
			type: 'OAuthException',
			code: 130429,
			error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
			error_subcode: 2494055,
			fbtrace_id: expect.any(String),
		});
		graph.advanceClock(6000);
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
	});
});

// ---------------------------------------------------------------- other endpoints

describe('business-scoped user ids (reference §1.4, 2026)', () => {
	const BSUID = 'US.13491208655302741918';

	it('opens the window for a person writing with their user id only, answers a `recipient` send with user_id, statuses name recipient_user_id', async () => {
		const graph = await start({ window131047: 'sync', emitStatuses: { read: false } });
		const rx = await receiver();
		graph.setWebhookTarget(rx.url);
		await graph.deliver(msg.text('', 'hi', { omitFrom: true, fromUserId: BSUID, timestamp: new Date(graph.now()) }), { usernames: { [BSUID]: 'sheena.n' } });
		const inbound = JSON.parse((await rx.next()).raw.toString()) as WebhookEnvelope;
		const value = inbound.entry[0].changes[0].value;
		expect(value.contacts).toEqual([{ profile: { name: 'Test User', username: 'sheena.n' }, user_id: BSUID }]);
		expect((value.messages as Record<string, unknown>[])[0]).not.toHaveProperty('from');

		const r = await send(graph, { recipient: BSUID, type: 'text', text: { body: 'hello' } });
		expect(r.status).toBe(200);
		expect(r.json.contacts).toEqual([{ input: BSUID, user_id: BSUID }]);
		expect(graph.sent[0]).toMatchObject({ to: BSUID, userId: BSUID, type: 'text', inWindow: true });
		expect(graph.sent[0].waId).toBeUndefined();
		const [sent, delivered] = [await rx.next(), await rx.next()].map((h) => ((JSON.parse(h.raw.toString()) as WebhookEnvelope).entry[0].changes[0].value.statuses as Record<string, unknown>[])[0]);
		expect(sent).toMatchObject({ id: r.json.messages[0].id, status: 'sent', recipient_user_id: BSUID });
		expect(sent).not.toHaveProperty('recipient_id');
		expect(delivered).toMatchObject({ status: 'delivered', recipient_user_id: BSUID });

		// `to` wins over `recipient`; a recipient that is no user id is no recipient at all.
		graph.setLastInbound(CUSTOMER, new Date(graph.now()));
		expect((await send(graph, { to: CUSTOMER, recipient: BSUID, type: 'text', text: { body: 'x' } })).json.contacts).toEqual([{ input: CUSTOMER, wa_id: CUSTOMER }]);
		expect((await send(graph, { recipient: '16505551234', type: 'text', text: { body: 'x' } })).json.error).toMatchObject({ code: 100 });
	});

	it('refuses an authentication template to a user id with 131062, and takes it to a number', async () => {
		const templates = [
			{ name: 'verification_code', language: 'en_US', category: 'AUTHENTICATION' as const },
			{ name: 'order_update', language: 'en_US', category: 'UTILITY' as const },
		];
		const graph = await start({ templates });
		const template = (name: string) => ({ type: 'template', template: { name, language: { code: 'en_US' } } });
		const refused = await send(graph, { recipient: BSUID, ...template('verification_code') });
		expect(refused.status).toBe(400);
		expect(refused.json.error).toMatchObject({ code: 131062, message: expect.stringContaining('(#131062)') });
		expect((await send(graph, { recipient: BSUID, ...template('order_update') })).status).toBe(200);
		expect((await send(graph, { to: CUSTOMER, ...template('verification_code') })).status).toBe(200);
		expect(graph.sent.map((s) => s.userId ?? s.waId)).toEqual([BSUID, CUSTOMER]);
	});

	it('builds user_preferences for a person known by user id only', () => {
		const change = userPreferencesChange({ phoneNumberId: PNID, displayPhoneNumber: '15550783881', businessAccountId: WABA }, '', 'stop', { userId: BSUID });
		expect(change.value.contacts).toEqual([{ user_id: BSUID }]);
		expect((change.value.user_preferences as Record<string, unknown>[])[0]).toMatchObject({ user_id: BSUID, value: 'stop' });
		expect((change.value.user_preferences as Record<string, unknown>[])[0]).not.toHaveProperty('wa_id');
	});
});

describe('phone number and WABA subscription', () => {
	it('serves GET /{pnid} with field selection', async () => {
		const graph = await start();
		const r = await call(graph, 'GET', `/v23.0/${PNID}`);
		expect(r.json).toMatchObject({ verified_name: 'WhatsAuto Test', display_phone_number: '+1 555-078-3881', quality_rating: 'GREEN', id: PNID });
		expect((await call(graph, 'GET', `/v23.0/${PNID}?fields=whatsapp_business_manager_messaging_limit`)).json).toEqual({ whatsapp_business_manager_messaging_limit: 'TIER_250', id: PNID });
		const bad = await call(graph, 'GET', `/v23.0/${PNID}?fields=nope`);
		expect(bad.json.error.message).toBe('(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessPhoneNumber)');
		expect((await call(graph, 'GET', `/${PNID}/messages/extra`)).json.error).toMatchObject({ code: 2500, message: 'Unknown path components: /extra' });
	});

	it('subscribes apps to the WABA, verifying an override callback first', async () => {
		const graph = await start();
		const rx = await receiver();
		expect((await call(graph, 'POST', `/v23.0/${WABA}/subscribed_apps`)).json).toEqual({ success: true });
		const bad = await call(graph, 'POST', `/v23.0/${WABA}/subscribed_apps`, { override_callback_uri: rx.url, verify_token: 'wrong' });
		expect(bad.json.error).toMatchObject({ code: 2200, message: '(#2200) Callback verification failed with the following errors: HTTP Status Code = 403; HTTP Message = Forbidden' });
		expect((await call(graph, 'POST', `/v23.0/${WABA}/subscribed_apps`, { override_callback_uri: rx.url, verify_token: 'vt' })).json).toEqual({ success: true });
		expect(graph.webhookTarget).toBe(rx.url);
		expect(graph.subscriptions.map((s) => s.method)).toEqual(['POST', 'POST']);
	});
});

describe('media', () => {
	it('serves media info (hex sha256, numeric size, escaped url) and downloads that expire after 5 minutes', async () => {
		let clock = Date.UTC(2026, 0, 1);
		const graph = await start({ now: () => clock });
		const bytes = Buffer.from('\x89PNG fake image bytes');
		const ref = graph.addMedia({ bytes, mimeType: 'image/png' });
		expect(ref.sha256Base64).toBe(Buffer.from(ref.sha256Hex, 'hex').toString('base64'));
		expect(msg.image(CUSTOMER, ref).image).toMatchObject({ id: ref.id, sha256: ref.sha256Base64, url: expect.stringContaining('/whatsapp_business/attachments/?mid=') });

		const info = await call(graph, 'GET', `/v23.0/${ref.id}?phone_number_id=${PNID}`);
		expect(info.text).toMatch(/^\{"url":"http:\\\/\\\/127\.0\.0\.1:\d+\\\/whatsapp_business\\\/attachments\\\/\?mid=/);
		expect(info.text).toContain('"mime_type":"image\\/png"');
		expect(info.json).toEqual({ url: expect.any(String), mime_type: 'image/png', sha256: ref.sha256Hex, file_size: bytes.length, id: ref.id, messaging_product: 'whatsapp' });

		const dl = (token: string | null) => fetch(info.json.url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
		const ok = await dl(TOKEN);
		expect(ok.status).toBe(200);
		expect(ok.headers.get('content-type')).toBe('image/png');
		expect(ok.headers.get('content-length')).toBe(String(bytes.length));
		expect(ok.headers.get('content-disposition')).toBe('inline;filename=whatsapp.png');
		expect(Buffer.from(await ok.arrayBuffer())).toEqual(bytes);
		expect((await dl(null)).status).toBe(401);
		clock += 4 * 60_000 + 58_000;
		expect((await dl(TOKEN)).status).toBe(200);
		clock += 2_000;
		expect((await dl(TOKEN)).status).toBe(404);
		expect((await fetch(`${graph.baseUrl}/whatsapp_business/attachments/?mid=${ref.id}&ext=9999999999&hash=ATforged`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
		// an unknown media id
		expect((await call(graph, 'GET', `/v23.0/9${ref.id.slice(1)}0`)).json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
	});

	it('uploads multipart media, rejects unsupported types with 131053', async () => {
		const graph = await start();
		const upload = (type: string, data: string) => {
			const form = new FormData();
			form.append('messaging_product', 'whatsapp');
			form.append('type', type);
			form.append('file', new Blob([data], { type }), 'voice.ogg');
			return fetch(`${graph.baseUrl}/v23.0/${PNID}/media`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: form });
		};
		const r = await upload('audio/ogg', 'OggS…');
		expect(r.status).toBe(200);
		const { id } = (await r.json()) as { id: string };
		expect(id).toMatch(/^\d{16}$/);
		expect(graph.uploads[0]).toMatchObject({ id, mimeType: 'audio/ogg', filename: 'voice.ogg', size: Buffer.byteLength('OggS…') });
		expect(graph.getMedia(id)?.bytes.toString()).toBe('OggS…');

		const bad = await upload('application/zip', 'PK');
		expect(bad.status).toBe(400);
		expect(((await bad.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: 131053, message: '(#131053) Media upload error' });
	});
});

// ---------------------------------------------------------------- fault injection

describe('inject()', () => {
	it.each([
		['server_error', 500, 131000, '(#131000) Something went wrong'],
		['service_unavailable', 500, 131016, '(#131016) Service unavailable'],
		['rate_limit', 400, 130429, '(#130429) Rate limit hit'],
		['pair_rate_limit', 400, 131056, '(#131056) (Business Account, Consumer Account) pair rate limit hit'],
		['token_expired', 401, 190, expect.stringMatching(/^Error validating access token/)],
		['invalid_parameter', 400, 100, '(#100) Invalid parameter'],
		['unknown_object', 400, 100, expect.stringMatching(/^Unsupported post request\. Object with ID '106540352242922'/)],
	] as const)('%s → %i code %i', async (error, httpStatus, code, message) => {
		const graph = await start({ window131047: 'off' });
		const h = graph.inject({ path: '/messages', error });
		const r = await send(graph, text(CUSTOMER));
		expect(r.status).toBe(httpStatus);
		expect(r.json.error).toMatchObject({ code, message });
		expect(graph.requests[0].injected).toBe(error);
		expect(h.hits).toBe(1);
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
	});

	it('supports times, HTTP 429 with Retry-After, custom bodies, numeric codes, method/path filters', async () => {
		const graph = await start({ window131047: 'off' });
		graph.inject({ path: /\/messages$/, method: 'POST', error: 'rate_limit', status: 429, retryAfterSeconds: 30, times: 2 });
		for (let i = 0; i < 2; i++) {
			const r = await send(graph, text(CUSTOMER));
			expect(r.status).toBe(429);
			expect(r.headers.get('retry-after')).toBe('30');
			expect(r.json.error.code).toBe(130429);
		}
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
		graph.inject({ error: 131031 });
		expect((await call(graph, 'GET', `/v23.0/${PNID}`)).json.error).toMatchObject({ code: 131031 });
		graph.inject({ method: 'GET', status: 503, body: 'upstream down', headers: { 'Content-Type': 'text/html' } });
		const custom = await call(graph, 'GET', `/v23.0/${PNID}`);
		expect([custom.status, custom.text, custom.headers.get('content-type')]).toEqual([503, 'upstream down', 'text/html']);
		graph.inject({ method: 'POST', error: 'reset' });
		expect((await call(graph, 'GET', `/v23.0/${PNID}`)).status).toBe(200); // method filter: GET not affected
		graph.clearInjections();
	});

	it('slows, resets and hangs connections', async () => {
		const graph = await start({ window131047: 'off' });
		graph.inject({ delayMs: 150 });
		const t0 = Date.now();
		expect((await send(graph, text(CUSTOMER))).status).toBe(200);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
		graph.inject({ error: 'reset' });
		await expect(send(graph, text(CUSTOMER))).rejects.toThrow();
		graph.inject({ error: 'hang' });
		const hung = send(graph, text(CUSTOMER));
		await new Promise((r) => setTimeout(r, 50));
		await graph.close();
		await expect(hung).rejects.toThrow();
	});
});
