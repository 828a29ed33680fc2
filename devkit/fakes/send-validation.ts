/**
 * Validation of `POST /{v}/{phone-number-id}/messages` bodies (reference §3, §3.2) with Meta's error shapes:
 * - `(#100) The parameter messaging_product is required.` / `(#100) Param text['body'] must be at most 4096 characters long.`
 *   (code 100, no error_data — real messages),
 * - 131008 "Required parameter is missing" / 131009 "Parameter value is not valid" with `error_data.details`
 *   (real for button counts/titles; other `details` texts are crafted in the same style).
 * Lengths are counted in Unicode code points.
 */
import { graphError, META_ERRORS, paramError, type GraphErrorBody } from './meta-errors';

export type Params = Record<string, unknown>;

export type SendCheck =
	| { ok: true; type: string; input: string; waId?: string; userId?: string }
	| { ok: false; status: number; body: GraphErrorBody };

export const MESSAGE_TYPES = ['audio', 'contacts', 'document', 'image', 'interactive', 'location', 'reaction', 'sticker', 'template', 'text', 'video'];
const MEDIA_TYPES = new Set(['audio', 'document', 'image', 'sticker', 'video']);
const CAPTIONED = new Set(['document', 'image', 'video']);
const INTERACTIVE_TYPES = ['button', 'list', 'cta_url', 'flow', 'product', 'product_list', 'catalog_message', 'location_request_message', 'address_message', 'voice_call'];

class Reject extends Error {
	constructor(
		readonly status: number,
		readonly body: GraphErrorBody,
	) {
		super(body.error.message);
	}
}
const p100 = (message: string) => new Reject(400, paramError(message));
const missing = (details: string) => new Reject(400, graphError(131008, { details }));
const invalid = (details: string) => new Reject(400, graphError(131009, { details }));

const len = (s: string) => [...s].length;
const isObj = (x: unknown): x is Params => typeof x === 'object' && x !== null && !Array.isArray(x);

function str(value: unknown, path: string, required: boolean): string | undefined {
	if (value === undefined || value === null || value === '') {
		if (required) throw missing(`The parameter ${path} is required.`);
		return undefined;
	}
	if (typeof value !== 'string') throw p100(`Param ${path} must be a string.`);
	return value;
}
function maxLen(value: string | undefined, path: string, max: number): void {
	if (value !== undefined && len(value) > max) throw p100(`Param ${path} must be at most ${max} characters long.`);
}
function range(value: string | undefined, what: string, max: number, min = 1): void {
	if (value === undefined || len(value) < min || len(value) > max)
		throw invalid(`${what} length invalid. Min length: ${min}, Max length: ${max}`);
}

/** A business-scoped user id (reference §1.4): country code, a dot, an alphanumeric id (and one more part for a parent id). */
export const BSUID = /^[A-Z]{2}(?:\.[A-Za-z0-9]+){1,2}$/;

/** Normalise `to`: digits after dropping `+`, spaces, `-`, `()`. Accepts JSON numbers too. */
export function normaliseRecipient(to: unknown): string | undefined {
	if (typeof to === 'number' && Number.isSafeInteger(to) && to > 0) return String(to);
	if (typeof to !== 'string') return undefined;
	const digits = to.trim().replace(/^\+/, '').replace(/[\s\-()]/g, '');
	return /^\d{5,15}$/.test(digits) ? digits : undefined;
}

/** An approved template; `category` as Meta files it (AUTHENTICATION templates cannot go to a BSUID: 131062). */
export interface TemplateSpec {
	name: string;
	language: string;
	category?: 'AUTHENTICATION' | 'MARKETING' | 'UTILITY';
}

export function validateSend(
	p: Params,
	o: { displayPhoneNumber: string; templates?: TemplateSpec[] },
): SendCheck {
	try {
		return check(p, o);
	} catch (e) {
		if (e instanceof Reject) return { ok: false, status: e.status, body: e.body };
		throw e;
	}
}

function check(p: Params, o: { displayPhoneNumber: string; templates?: TemplateSpec[] }): SendCheck {
	// recipient: `to` (phone) wins over `recipient` (2026 business-scoped user id)
	let input: string, waId: string | undefined, userId: string | undefined;
	if (p.to !== undefined && p.to !== '') {
		waId = normaliseRecipient(p.to);
		if (!waId) throw invalid('The phone number is malformed: Please use the format: +1234567890.');
		input = String(p.to);
		if (waId === o.displayPhoneNumber.replace(/\D/g, ''))
			throw new Reject(400, graphError(131021, { details: META_ERRORS[131021].details }));
	} else if (typeof p.recipient === 'string' && BSUID.test(p.recipient)) {
		input = userId = p.recipient;
	} else throw p100('The parameter to is required.');

	// `type` is optional and defaults to text
	const type = p.type === undefined ? 'text' : p.type;
	if (typeof type !== 'string' || !MESSAGE_TYPES.includes(type))
		throw p100(`Param type must be one of {${MESSAGE_TYPES.map((t) => t.toUpperCase()).join(', ')}} - got "${String(type)}".`);
	if (type === 'contacts') {
		const cards = p.contacts;
		if (!Array.isArray(cards) || cards.length === 0) throw missing('The parameter contacts is required.');
		cards.forEach((c, i) => {
			if (!isObj(c) || !isObj(c.name) || typeof c.name.formatted_name !== 'string')
				throw missing(`The parameter contacts[${i}]['name']['formatted_name'] is required.`);
		});
		return { ok: true, type, input, waId, userId };
	}
	const body = p[type];
	if (!isObj(body)) throw missing(`The parameter ${type} is required.`);

	if (type === 'text') {
		maxLen(str(body.body, "text['body']", true), "text['body']", 4096);
	} else if (MEDIA_TYPES.has(type)) {
		const id = str(body.id, `${type}['id']`, false);
		const link = str(body.link, `${type}['link']`, false);
		if (!id && !link) throw missing(`The parameter ${type}['id'] or ${type}['link'] is required.`);
		if (id && link) throw invalid(`Only one of ${type}['id'] and ${type}['link'] can be set.`);
		if (link && !/^https?:\/\/\S+$/i.test(link)) throw invalid(`Param ${type}['link'] must be a valid URL.`);
		if (CAPTIONED.has(type)) maxLen(str(body.caption, `${type}['caption']`, false), `${type}['caption']`, 1024);
		else if (body.caption !== undefined) throw p100(`Param ${type}['caption'] is not supported.`);
	} else if (type === 'reaction') {
		str(body.message_id, "reaction['message_id']", true);
		if (body.emoji !== undefined && typeof body.emoji !== 'string') throw p100("Param reaction['emoji'] must be a string.");
	} else if (type === 'location') {
		for (const k of ['latitude', 'longitude'])
			if (body[k] === undefined) throw missing(`The parameter location['${k}'] is required.`);
	} else if (type === 'interactive') {
		checkInteractive(body);
	} else if (type === 'template') {
		const name = str(body.name, "template['name']", true) as string;
		const language = isObj(body.language) ? str(body.language.code, "template['language']['code']", true) : undefined;
		if (!language) throw missing("The parameter template['language'] is required.");
		const approved = o.templates?.find((t) => t.name === name && t.language === language);
		if (o.templates && !approved)
			throw new Reject(404, graphError(132001, { details: `template name (${name}) does not exist in ${language}` }));
		// One-tap, zero-tap and copy-code authentication templates still need a phone number (reference §1.4).
		if (userId && approved?.category === 'AUTHENTICATION') throw new Reject(400, graphError(131062));
	}
	return { ok: true, type, input, waId, userId };
}

function checkInteractive(it: Params): void {
	const kind = it.type;
	if (typeof kind !== 'string' || !INTERACTIVE_TYPES.includes(kind))
		throw p100(`Param interactive['type'] must be one of {${INTERACTIVE_TYPES.map((t) => t.toUpperCase()).join(', ')}} - got "${String(kind)}".`);
	const text = (x: unknown, key = 'text') => (isObj(x) && typeof x[key] === 'string' ? (x[key] as string) : undefined);
	const needsBody = kind !== 'product' && kind !== 'catalog_message';
	const body = text(it.body);
	if (needsBody && body === undefined) throw missing("The parameter interactive['body'] is required.");
	if (body !== undefined) range(body, 'Body text', kind === 'list' ? 4096 : 1024);
	if (it.footer !== undefined) range(text(it.footer), 'Footer text', 60);
	if (isObj(it.header) && it.header.type === 'text') range(text(it.header), 'Header text', 60);
	const action = isObj(it.action) ? it.action : undefined;
	if (kind === 'button') {
		const buttons = Array.isArray(action?.buttons) ? (action.buttons as unknown[]) : [];
		if (buttons.length < 1 || buttons.length > 3) throw invalid('Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3');
		const titles = new Set<string>();
		for (const [i, b] of buttons.entries()) {
			// every button of a reply-button message is `{ "type": "reply", "reply": { id, title } }` (reference §3.2)
			const buttonType = isObj(b) ? b.type : undefined;
			if (buttonType !== 'reply') throw p100(`Param interactive['action']['buttons'][${i}]['type'] must be one of {REPLY} - got "${String(buttonType)}".`);
			const reply = isObj(b) && isObj(b.reply) ? b.reply : {};
			range(typeof reply.title === 'string' ? reply.title : undefined, 'Button title', 20);
			range(typeof reply.id === 'string' ? reply.id : undefined, 'Button id', 256);
			if (titles.has(reply.title as string)) throw invalid('Button titles must be unique.');
			titles.add(reply.title as string);
		}
	} else if (kind === 'list') {
		range(typeof action?.button === 'string' ? action.button : undefined, 'Button text', 20);
		const sections = Array.isArray(action?.sections) ? (action.sections as unknown[]) : [];
		if (sections.length < 1 || sections.length > 10) throw invalid('Invalid sections count. Min allowed sections: 1, Max allowed sections: 10');
		let rows = 0;
		for (const s of sections) {
			const sec = isObj(s) ? s : {};
			if (sec.title !== undefined || sections.length > 1) range(typeof sec.title === 'string' ? sec.title : undefined, 'Section title', 24);
			for (const r of Array.isArray(sec.rows) ? sec.rows : []) {
				rows++;
				const row = isObj(r) ? r : {};
				range(typeof row.id === 'string' ? row.id : undefined, 'Row id', 200);
				range(typeof row.title === 'string' ? row.title : undefined, 'Row title', 24);
				if (row.description !== undefined) range(String(row.description), 'Row description', 72);
			}
		}
		if (rows < 1) throw invalid('Invalid rows count. Min allowed rows: 1, Max allowed rows: 10');
		if (rows > 10) throw invalid('Total row count exceed max allowed count: 10');
	}
}
