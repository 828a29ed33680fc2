/**
 * Generated webhook calls for the trigger fuzz suite (./trigger-fuzz.engine.test.ts): bodies and headers from a
 * seeded PRNG, each case from its own (seed, index) stream so any case reproduces alone, plus an oracle that
 * states, independently of the node's code, which HTTP status each call must get.
 */
import { createHmac } from 'node:crypto';

import { metaJson } from '../../devkit/fakes/meta-json';

// ---------------------------------------------------------------- PRNG

/** mulberry32: small, fast, good enough to explore inputs; never for secrets. */
export class Rng {
	private state: number;

	constructor(seed: number) {
		this.state = seed >>> 0;
	}

	next(): number {
		let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}

	/** An integer in [min, max]. */
	int(min: number, max: number): number {
		return min + Math.floor(this.next() * (max - min + 1));
	}

	chance(p: number): boolean {
		return this.next() < p;
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.next() * items.length)];
	}

	digits(n: number): string {
		let s = String(this.int(1, 9));
		while (s.length < n) s += String(this.int(0, 9));
		return s;
	}

	hex(n: number): string {
		let s = '';
		while (s.length < n) s += this.int(0, 15).toString(16);
		return s;
	}
}

/** The PRNG of case `index` under `seed` (independent streams, so one case can be replayed alone). */
export function caseRng(seed: number, index: number): Rng {
	let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
	h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
	h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
	return new Rng(h ^ (h >>> 16));
}

// ---------------------------------------------------------------- the oracle

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_DEPTH = 64;

/** Whether parsed JSON nests objects/arrays more than `limit` levels (`{}` is 1), without recursion. */
export function deeperThan(value: unknown, limit: number): boolean {
	const pending: Array<[unknown, number]> = [[value, 1]];
	for (let next = pending.pop(); next; next = pending.pop()) {
		const [v, depth] = next;
		if (typeof v !== 'object' || v === null) continue;
		if (depth > limit) return true;
		for (const child of Object.values(v)) pending.push([child, depth + 1]);
	}
	return false;
}

/** Whether `header` is a correct `X-Hub-Signature-256` for `raw` under `secret` (hex compared case-insensitively). */
export function signatureValid(raw: Buffer, header: string | undefined, secret: string): boolean {
	if (secret.trim() === '' || header === undefined) return false;
	const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
	return !!match && match[1].toLowerCase() === createHmac('sha256', secret.trim()).update(raw).digest('hex');
}

export type Verdict = { status: 413 | 401 } | { status: 400; why: string } | { status: 200 };

/** What the trigger must answer, from the README's table: 413 over the cap, 401 unsigned, 400 not WhatsApp, else 200. */
export function expectedAnswer(raw: Buffer, header: string | undefined, secret: string): Verdict {
	if (raw.length > MAX_BODY_BYTES) return { status: 413 };
	if (!signatureValid(raw, header, secret)) return { status: 401 };
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch {
		return { status: 400, why: 'not JSON' };
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, why: 'not an object' };
	if (deeperThan(body, MAX_DEPTH)) return { status: 400, why: 'too deep' };
	const envelope = body as { object?: unknown; entry?: unknown };
	if (envelope.object !== 'whatsapp_business_account') return { status: 400, why: 'not whatsapp_business_account' };
	if (!Array.isArray(envelope.entry)) return { status: 400, why: 'no entry array' };
	return { status: 200 };
}

export const sign = (secret: string, raw: Buffer | string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

// ---------------------------------------------------------------- values

export const US = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
/** In every generated text: no log line or error answer may ever contain it (the body is never quoted). */
export const MARKER = 'FUZZ-MARK-7f3a';

const UNICODE = [
	'Olá, São Paulo! ¿Qué tal?',
	'日本語のテキスト',
	'😮👍🏽👨‍👩‍👧‍👦',
	'\u202eevil\u202c',
	'zero\u200bwidth\u200d',
	'\ufeffbom',
	'nul\u0000byte',
	'lone \ud800 surrogate',
	'lone \udfff low',
	'e\u0301\u0301\u0301 combining',
	'\u2028line\u2029sep',
	'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǵ̯̖o̠͙',
	'مرحبا بالعالم',
	'\\u00e9 literal backslash-u',
	'"quoted" \\ backslash / slash',
];
const NASTY = [
	'__proto__',
	'constructor',
	'prototype',
	'toString',
	'hasOwnProperty',
	'={{ $env.HOME }}',
	'{{ 7*7 }}',
	"'; DROP TABLE inbound; --",
	'../../../../etc/passwd',
	'<script>alert(1)</script>',
	'%s%s%s%n',
	'',
	' ',
	'null',
	'undefined',
	'NaN',
	'-0',
	'1e999',
];
const MESSAGE_TYPES = [
	'text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'interactive', 'button',
	'reaction', 'order', 'system', 'request_welcome', 'unsupported', 'ephemeral', 'hologram', '', 'TEXT',
] as const;

/** Raw JSON number literals that JSON.stringify cannot produce; spliced in by `serialise`. */
const RAW_NUMBERS = ['1e999', '-1e999', '-0', '1e-400', '123456789012345678901234567890', '0.0000001', '17e2', '-1'];
const RAW_TAG = '@@raw:';

export function text(r: Rng): string {
	switch (r.int(0, 5)) {
		case 0:
			return `${r.pick(UNICODE)} ${MARKER}`;
		case 1:
			return r.pick(NASTY);
		case 2:
			return `${MARKER} ${'x'.repeat(r.int(1000, 20_000))}`;
		case 3:
			return `${RAW_TAG}${r.pick(RAW_NUMBERS)}`;
		default:
			return `Does it come in blue? ${r.int(0, 999)} ${MARKER}`;
	}
}

/** Something of a random JSON type (the "wrong type" for whatever it replaces). */
export function anyValue(r: Rng, depth = 0): unknown {
	switch (r.int(0, depth > 2 ? 5 : 8)) {
		case 0:
			return null;
		case 1:
			return r.chance(0.5);
		case 2:
			return r.pick([0, -1, 1.5, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e21, -1e-7]);
		case 3:
			return `${RAW_TAG}${r.pick(RAW_NUMBERS)}`;
		case 4:
			return text(r);
		case 5:
			return r.pick(NASTY);
		case 6:
			return Array.from({ length: r.int(0, 3) }, () => anyValue(r, depth + 1));
		case 7:
			return Object.fromEntries(Array.from({ length: r.int(0, 3) }, () => [r.pick([...NASTY, 'id', 'type', 'x']), anyValue(r, depth + 1)]));
		default:
			return {};
	}
}

export function timestamp(r: Rng, nowSeconds: number): unknown {
	if (r.chance(0.85)) {
		const seconds = nowSeconds - r.int(0, r.chance(0.1) ? 30 * 86_400 : 600);
		return r.chance(0.7) ? String(seconds) : seconds;
	}
	return r.pick(['', ' 12 ', '1e3', '99999999999999999', '-1', 'yesterday', '0x10', `${RAW_TAG}1e999`, null, [], {}, true, 1.5]);
}

const wamid = (r: Rng) => `wamid.HBgL${Buffer.from(r.digits(11)).toString('base64')}FQIAEhgU${r.hex(20).toUpperCase()}AA==`;
const mediaObject = (r: Rng) => ({ id: r.digits(16), mime_type: r.pick(['image/jpeg', 'audio/ogg; codecs=opus', 'application/pdf', 'x/y', '']), sha256: r.hex(43) + '=' });

function content(r: Rng, type: string): Record<string, unknown> {
	switch (type) {
		case 'text':
			return { text: { body: text(r), ...(r.chance(0.1) ? { preview_url: true } : {}) } };
		case 'image':
		case 'video':
		case 'document':
			return { [type]: { ...mediaObject(r), ...(r.chance(0.5) ? { caption: text(r) } : {}), ...(type === 'document' ? { filename: text(r) } : {}) } };
		case 'audio':
			return { audio: { ...mediaObject(r), voice: r.chance(0.5) } };
		case 'sticker':
			return { sticker: { ...mediaObject(r), animated: r.chance(0.5) } };
		case 'location':
			return { location: { latitude: r.pick([38.9, -91, 'x', 1e3]), longitude: r.pick([-77.0, 181, null]), name: text(r), address: text(r) } };
		case 'contacts':
			return { contacts: [{ name: { formatted_name: text(r), first_name: text(r) }, phones: [{ phone: `+${r.digits(11)}`, type: 'CELL', wa_id: r.digits(11) }] }] };
		case 'interactive': {
			const kind = r.pick(['button_reply', 'list_reply', 'nfm_reply', 'other']);
			const deepJson = (depth = r.int(50, 5000)) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
			const detail =
				kind === 'nfm_reply'
					? { name: 'flow', body: 'Sent', response_json: r.pick([() => JSON.stringify({ flow_token: text(r), screen_0: anyValue(r) }), () => 'not json', () => '{"a":', () => deepJson(), () => deepJson(50_000)])() }
					: { id: text(r), title: text(r), description: text(r) };
			return { interactive: { type: kind, [kind]: detail } };
		}
		case 'button':
			return { button: { payload: text(r), text: text(r) } };
		case 'reaction':
			return { reaction: { message_id: wamid(r), ...(r.chance(0.8) ? { emoji: r.pick(['👍', '❤️', '😮']) } : {}) } };
		case 'order':
			return { order: { catalog_id: r.digits(15), text: text(r), product_items: [{ product_retailer_id: text(r), quantity: r.pick([1, '2', -1]), item_price: r.pick([9.99, '1e999']), currency: 'EUR' }] } };
		case 'system':
			return { system: { body: text(r), type: r.pick(['user_changed_number', 'customer_identity_changed', 'x']), new_wa_id: r.digits(11) } };
		case 'unsupported':
			return { errors: [{ code: 131051, title: 'Message type unknown', error_data: { details: text(r) } }] };
		default:
			return r.chance(0.5) ? { [type || 'x']: anyValue(r) } : {};
	}
}

function message(r: Rng, nowSeconds: number): Record<string, unknown> {
	const type = r.pick(MESSAGE_TYPES);
	const from = r.chance(0.9) ? r.digits(11) : undefined;
	return {
		...(r.chance(0.1) ? { context: { from: r.digits(11), id: wamid(r), forwarded: r.chance(0.5) } } : {}),
		...(from ? { from } : { from_user_id: `US.${r.digits(20)}` }),
		id: wamid(r),
		timestamp: timestamp(r, nowSeconds),
		type,
		...content(r, type),
		...(r.chance(0.05) ? { referral: { source_url: 'https://fb.me/x', source_id: r.digits(10), source_type: 'ad', headline: text(r) } } : {}),
	};
}

function valueOf(phoneNumberId: string, extra: Record<string, unknown>) {
	return { messaging_product: 'whatsapp', metadata: { display_phone_number: US.displayPhoneNumber, phone_number_id: phoneNumberId }, ...extra };
}

function change(r: Rng, nowSeconds: number): Record<string, unknown> {
	const phone = r.chance(0.9) ? US.phoneNumberId : r.digits(15);
	const kind = r.int(0, 9);
	if (kind <= 4) {
		const messages = Array.from({ length: r.int(1, 3) }, () => message(r, nowSeconds));
		const contacts = messages.map((m) => ({ profile: { name: text(r) }, wa_id: m.from, ...(r.chance(0.1) ? { user_id: `US.${r.digits(20)}` } : {}) }));
		return { field: 'messages', value: valueOf(phone, { contacts, messages }) };
	}
	if (kind <= 6) {
		const statuses = Array.from({ length: r.int(1, 3) }, () => ({
			id: wamid(r),
			status: r.pick(['sent', 'delivered', 'read', 'played', 'failed', 'deleted', '']),
			timestamp: timestamp(r, nowSeconds),
			recipient_id: r.digits(11),
			...(r.chance(0.3) ? { errors: [{ code: r.pick([131047, 131026, 'x']), title: text(r) }] } : {}),
			...(r.chance(0.3) ? { conversation: { id: r.hex(32), origin: { type: 'service' } }, pricing: { billable: false, pricing_model: 'PMP', category: 'service' } } : {}),
		}));
		return { field: 'messages', value: valueOf(phone, { statuses }) };
	}
	if (kind === 7) {
		const waId = r.digits(11);
		const preference = { wa_id: waId, category: 'marketing_messages', value: r.pick(['stop', 'resume', 'x']), detail: text(r), timestamp: timestamp(r, nowSeconds) };
		return { field: 'user_preferences', value: valueOf(phone, { contacts: [{ wa_id: waId }], user_preferences: [preference] }) };
	}
	if (kind === 8) {
		const echo = { ...message(r, nowSeconds), from: US.displayPhoneNumber, to: r.digits(11) };
		return { field: 'smb_message_echoes', value: valueOf(phone, { message_echoes: [echo] }) };
	}
	return r.chance(0.5)
		? { field: 'messages', value: valueOf(phone, { errors: [{ code: r.int(100, 200_000), title: text(r), message: text(r), error_data: { details: text(r) } }] }) }
		: { field: r.pick(['account_update', 'message_template_status_update', 'security', text(r)]), value: valueOf(phone, { event: text(r), extra: anyValue(r) }) };
}

/** A WhatsApp Business webhook body as Meta could send it (one or more entries, mixed changes). */
export function whatsappBody(r: Rng, nowSeconds: number): Record<string, unknown> {
	const entries = Array.from({ length: r.chance(0.9) ? 1 : r.int(2, 3) }, () => ({
		id: r.chance(0.95) ? US.businessAccountId : r.digits(15),
		changes: Array.from({ length: r.int(1, 3) }, () => change(r, nowSeconds)),
	}));
	return { object: 'whatsapp_business_account', entry: entries };
}

// ---------------------------------------------------------------- serialising and mutating

/** Meta's bytes (\uXXXX escapes) or plain UTF-8 JSON, with raw number literals spliced in. */
export function serialise(r: Rng, value: unknown, replacements: Record<string, string> = {}): Buffer {
	let json = r.chance(0.75) ? metaJson(value) : JSON.stringify(value);
	json = json.replace(/"@@raw:([^"]*)"/g, (_, literal: string) => literal);
	for (const [placeholder, replacement] of Object.entries(replacements)) json = json.split(JSON.stringify(placeholder)).join(replacement);
	return Buffer.from(json, 'utf8');
}

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) slot of a JSON tree, iteratively. */
function slots(root: Container): Array<[Container, string | number]> {
	const found: Array<[Container, string | number]> = [];
	const pending: Container[] = [root];
	for (let next = pending.pop(); next; next = pending.pop()) {
		const container = next;
		const keys: Array<string | number> = Array.isArray(container) ? container.map((_, i) => i) : Object.keys(container);
		for (const key of keys) {
			found.push([container, key]);
			const child = (container as Record<string | number, unknown>)[key];
			if (typeof child === 'object' && child !== null) pending.push(child as Container);
		}
	}
	return found;
}

const setSlot = (container: Container, key: string | number, value: unknown) => {
	// defineProperty, so "__proto__" becomes an own key (as JSON.parse makes it), never a prototype change.
	Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
};

/** Puts `value` in place of a random slot of `body` (or beside the envelope's keys when it has none). */
export function plant(r: Rng, body: Record<string, unknown>, value: unknown): void {
	const all = slots(body);
	const [container, key] = all.length ? r.pick(all) : [body, 'extra'];
	setSlot(container, key, value);
}

export type Mutation = 'wrong type' | 'array for object' | 'delete' | 'unknown field' | 'prototype key' | 'huge string' | 'duplicate';

/** Changes `body` in place at a random slot; returns what it did. */
export function mutate(r: Rng, body: Container, forced?: Mutation): Mutation {
	const all = slots(body);
	if (all.length === 0) return 'delete';
	const [container, key] = r.pick(all);
	const current = (container as Record<string | number, unknown>)[key];
	const op: Mutation = forced ?? r.pick(['wrong type', 'wrong type', 'array for object', 'delete', 'unknown field', 'prototype key', 'huge string', 'duplicate'] as const);
	switch (op) {
		case 'wrong type':
			setSlot(container, key, anyValue(r));
			break;
		case 'array for object':
			setSlot(container, key, r.chance(0.5) ? [current] : typeof current === 'object' && current !== null ? Object.values(current) : []);
			break;
		case 'delete':
			if (Array.isArray(container)) container.splice(Number(key), 1);
			else delete container[key as string];
			break;
		case 'unknown field': {
			const target = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined;
			if (target) setSlot(target, `x_${r.hex(6)}`, anyValue(r));
			else setSlot(container, key, { unknown: anyValue(r) });
			break;
		}
		case 'prototype key': {
			const target = typeof current === 'object' && current !== null ? (current as Container) : container;
			const poison = { polluted: MARKER, isAdmin: true, toString: 'x', status: 'read', type: 'text' };
			setSlot(target, r.pick(['__proto__', 'constructor', 'prototype']), r.chance(0.7) ? poison : { prototype: poison });
			break;
		}
		case 'huge string':
			setSlot(container, key, `${MARKER}${'\u00e9'.repeat(r.int(10_000, 100_000))}`);
			break;
		case 'duplicate':
			if (Array.isArray(current)) current.push(...current.slice(0, 3));
			else setSlot(container, key, current);
			break;
	}
	return op;
}

/** Text of a structure `depth` levels deep (objects, arrays or both), built without recursion. */
export function deepText(r: Rng, depth: number): string {
	const style = r.int(0, 2);
	if (style === 0) return '['.repeat(depth) + '1' + ']'.repeat(depth);
	if (style === 1) return '{"k":'.repeat(depth) + '"leaf"' + '}'.repeat(depth);
	const pairs = Array.from({ length: Math.ceil(depth / 2) });
	const open = pairs.map(() => '{"__proto__":[').join('');
	const close = pairs.map(() => ']}').join('');
	return depth % 2 ? `${open.slice(0, -1)}null${close.slice(1)}` : `${open}null${close}`;
}

/** A forged or malformed `X-Hub-Signature-256` (or none) for `raw`; `correct` is the right one. */
export function forgedHeader(r: Rng, raw: Buffer, secret: string): { header: string | undefined; variant: string } {
	const correct = sign(secret, raw);
	const hex = correct.slice('sha256='.length);
	const variants: Array<[string, () => string | undefined]> = [
		['missing', () => undefined],
		['empty', () => ''],
		['sha1 prefix', () => `sha1=${createHmac('sha1', secret).update(raw).digest('hex')}`],
		['no prefix', () => hex],
		['colon prefix', () => `sha256:${hex}`],
		['short', () => correct.slice(0, r.int(7, correct.length - 1))],
		['long', () => `${correct}${r.hex(r.int(1, 4))}`],
		['non-hex', () => `sha256=${hex.slice(0, 63)}g`],
		['one digit off', () => `sha256=${hex.slice(0, 63)}${((parseInt(hex[63], 16) + 1) % 16).toString(16)}`],
		['uppercase wrong digest', () => `sha256=${sign('wrong', raw).slice(7).toUpperCase()}`],
		['other secret', () => sign(`${secret}x`, raw)],
		['empty secret', () => sign('', raw)],
		['other bytes', () => sign(secret, Buffer.concat([raw, Buffer.from(' ')]))],
		['re-serialised body', () => sign(secret, Buffer.from(`${raw.toString('utf8')}\n`))],
		['two headers joined', () => `${sign('wrong', raw)}, ${correct}`],
		['base64 digest', () => `sha256=${Buffer.from(hex, 'hex').toString('base64')}`],
		['non-ASCII', () => `sha256=${hex.slice(0, 63)}é`],
		['random', () => `sha256=${r.hex(64)}`],
	];
	const [variant, make] = r.pick(variants);
	return { header: make(), variant };
}
