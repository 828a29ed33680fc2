/**
 * The sandbox: a small web server whose page plays the customer's phone.
 *
 * The page sends what the customer types or attaches to POST /api/send; the server turns it into a signed
 * Meta webhook delivery (FakeGraphApi.deliver, media registered with addMedia so n8n can download it) to the
 * WhatsAuto Trigger. What n8n sends back through the fake Graph API (replies, read receipts, "typing…",
 * documents, interactive messages with their reply buttons) is streamed to the page over Server-Sent Events
 * (GET /api/events), history first, so a reload shows the whole conversation. Tapping a reply button on the page
 * sends `{ kind: 'button', messageId, buttonId }`: the server finds that button in what the business sent this
 * customer and delivers what WhatsApp would, an `interactive` `button_reply` (the button's id and title) quoting
 * the message (`context`). POST /api/agent `{ text }` plays a person at the business answering from the WhatsApp
 * Business app: Meta echoes such a message to the webhook (`smb_message_echoes`, to = this customer), and so does
 * the server, through the same signed delivery. POST /api/resume `{}` ends a pause of the AI for this customer (one a
 * person's answer or "human" started) the way the Auto-Reply node's Resume AI does: it opens the WhatsAuto store
 * n8n's nodes use, finds the customer's pseudonym with the store credential's key and deletes the pause
 * (`{ resumed }`: whether there was one). GET /media/<id> serves any media the fake holds (downloads of documents
 * the business sent, previews of what the customer sent).
 *
 * It only answers its own page: every request must name this server in `Host` (localhost, 127.0.0.1 or [::1]
 * with its port: no DNS rebinding), every state-changing request must come with this server's `Origin` (no
 * cross-site form posts or fetches), and the POSTs take `Content-Type: application/json` only (415
 * otherwise, so no "simple" cross-site request gets through). Refusals are 403 with one log line. Media are
 * served as attachments with `nosniff`, whatever type the uploader claimed.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { formatDisplayNumber, type DeliverInput, type DeliverOptions, type FakeGraphApi, type ReadRecord, type SentRecord } from '../devkit/fakes/graph-api';
import type { FakeOpenAi } from '../devkit/fakes/openai';
import { echo, echoesChange, msg, wamid, type WebhookMessage } from '../devkit/fakes/webhook-payloads';
import { trimmedOr } from '../nodes/shared/coerce';
import { resume } from '../nodes/shared/conversation/pause';
import { toContentKeys, toStoreConfig } from '../nodes/shared/store/access';
import { defaultSqlitePath, openStore, type StoreConfig, type WhatsAutoStore } from '../nodes/shared/store/index';
import { personOf } from '../nodes/shared/store/people';
import { defaultTranscript, OFFLINE_LABEL } from './responder';

export interface SandboxCustomer {
	/** Digits with country code, as WhatsApp's wa_id. */
	waId: string;
	name: string;
}

export interface SandboxOptions {
	graph: FakeGraphApi;
	/** The offline responder's fake OpenAI (undefined when replies come from real OpenAI). */
	offlineAi?: FakeOpenAi;
	/** Shown on the page. */
	ai: { mode: 'openai' | 'offline'; description: string };
	customer: SandboxCustomer;
	businessName: string;
	links: { editorUrl: string; formUrl: string };
	/** Folder with index.html, app.js, app.css. */
	publicDir: string;
	port: number;
	host?: string;
	/** Bound on one webhook delivery to n8n. Default 30 s. */
	deliveryTimeoutMs?: number;
	/** One line per refused request (foreign Host or Origin). Default: stderr. */
	log?: (line: string) => void;
	/** The WhatsAuto store n8n's nodes use, for POST /api/resume (without it, that answers 503). */
	store?: SandboxStore;
}

/** Where n8n's WhatsAuto nodes keep their store, as n8n has it. */
export interface SandboxStore {
	/** The WhatsAuto: Store API credential's data, as imported into n8n (backend, sqlitePath, secretKey, …). */
	credential: ICredentialDataDecryptedObject;
	/** n8n's N8N_USER_FOLDER: where an empty SQLite path points (store/index.ts defaultSqlitePath). */
	userFolder: string;
}

/**
 * The store configuration n8n's nodes derive from `store.credential` (store/access.ts toStoreConfig). An empty
 * SQLite path means defaultSqlitePath under n8n's N8N_USER_FOLDER, not this process's: it is filled in from
 * there first.
 */
export function storeConfigOf(store: SandboxStore): StoreConfig {
	const sqlitePath = trimmedOr(store.credential.sqlitePath) || defaultSqlitePath({ N8N_USER_FOLDER: store.userFolder });
	return toStoreConfig({ ...store.credential, sqlitePath });
}

/** One entry of the conversation as the page sees it. */
export type SandboxEvent =
	| {
			seq: number;
			type: 'customer';
			id: string;
			kind: 'text' | 'image' | 'audio' | 'document' | 'button';
			text?: string;
			filename?: string;
			mimeType?: string;
			mediaId?: string;
			transcript?: string;
			/** A button reply: the business message whose button was tapped, and the button's id. */
			replyTo?: string;
			buttonId?: string;
			at: string;
	  }
	/** A person at the business answered from the WhatsApp Business app (delivered to n8n as its echo). */
	| { seq: number; type: 'agent'; id: string; text: string; at: string }
	/** Resume AI was asked for: whether a pause of the AI for this customer ended (false: there was none). */
	| { seq: number; type: 'resume'; id: string; resumed: boolean; at: string }
	| { seq: number; type: 'delivery'; id: string; status: number; ok: boolean; error?: string; at: string }
	| { seq: number; type: 'read'; id: string; at: string }
	| { seq: number; type: 'typing'; id: string; at: string }
	| {
			seq: number;
			type: 'business';
			id: string;
			kind: string;
			text?: string;
			caption?: string;
			filename?: string;
			mediaId?: string;
			mimeType?: string;
			offline: boolean;
			inWindow: boolean;
			replyTo?: string;
			/** An interactive message's footer and reply buttons (at most 3, as WhatsApp shows them). */
			footer?: string;
			buttons?: ReplyButton[];
			at: string;
	  };

/** A reply button of an interactive message, as the business sent it. */
export interface ReplyButton {
	id: string;
	title: string;
}

type NewEvent = SandboxEvent extends infer E ? (E extends SandboxEvent ? Omit<E, 'seq' | 'at'> : never) : never;

export interface Sandbox {
	url: string;
	port: number;
	/** The conversation so far (also what a fresh page gets first). */
	events(): SandboxEvent[];
	/** Sends a customer message the way the page does (used by the page's API and by tests). */
	send(input: SendInput): Promise<{ id: string; status: number }>;
	/** Answers the customer as a person at the business would from the WhatsApp Business app: its echo goes to n8n. */
	answerAsAgent(text: string): Promise<{ id: string; status: number }>;
	/** Ends a pause of the AI for the customer, as the Auto-Reply node's Resume AI does; true when there was one. */
	resumeAi(): Promise<{ resumed: boolean }>;
	/** Stops the server and closes the store handle /api/resume opened. */
	close(): Promise<void>;
}

export interface SendInput {
	kind: 'text' | 'image' | 'audio' | 'document' | 'button';
	text?: string;
	filename?: string;
	mimeType?: string;
	/** base64 bytes for media */
	data?: string;
	/** Offline only: what the voice note "says" (the fake transcription returns it). */
	transcript?: string;
	/** kind 'button': the business message (its id) and the reply button (its id) the customer tapped. */
	messageId?: string;
	buttonId?: string;
}

const MAX_EVENTS = 2000;
const MAX_BODY = 40 * 1024 * 1024;
/** What WhatsApp lets a customer send, per kind (Meta's limits, reference §4). */
const LIMITS = { image: 5 << 20, audio: 16 << 20, document: 100 << 20 };
const AUDIO_TYPES = ['audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr'];
const STATIC: Record<string, string> = {
	'/': 'index.html',
	'/index.html': 'index.html',
	'/app.js': 'app.js',
	'/app.css': 'app.css',
};
const CONTENT_TYPES: Record<string, string> = {
	html: 'text/html; charset=utf-8',
	js: 'text/javascript; charset=utf-8',
	css: 'text/css; charset=utf-8',
};
/** On every response: no MIME sniffing, and the page may not be framed by another site (clickjacking). */
const SECURITY_HEADERS = {
	'X-Content-Type-Options': 'nosniff',
	'X-Frame-Options': 'DENY',
	'Content-Security-Policy': "frame-ancestors 'none'",
};
/** Media someone uploaded: never rendered as a page of this origin, whatever its claimed type. */
const MEDIA_HEADERS = {
	...SECURITY_HEADERS,
	'Content-Security-Policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
};
/** A MIME type as it may appear in a header (type/subtype, optional parameters), nothing else. */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\r\n]*"|[a-z0-9!#$&^_.+-]+))*$/;
const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

class BadRequest extends Error {}
class HttpError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}
}

/** WhatsApp sends voice notes as Ogg/Opus; a browser recording (WebM/Opus) is passed on under that type. */
function audioType(mimeType: string): string {
	const base = mimeType.split(';')[0].trim().toLowerCase();
	if (base === 'audio/webm' || base === 'audio/ogg' || base === 'audio/opus') return 'audio/ogg; codecs=opus';
	if (base === 'audio/mp3' || base === 'audio/mpeg') return 'audio/mpeg';
	if (base === 'audio/x-m4a' || base === 'audio/m4a') return 'audio/mp4';
	if (AUDIO_TYPES.includes(base)) return base;
	throw new BadRequest(`WhatsApp voice notes and audio are OGG, MP3, M4A, AAC or AMR, not ${base || 'unknown'}.`);
}

/** A document's type as the uploader claimed it, if it is a well-formed MIME type; else application/octet-stream. */
function documentType(mimeType: string | undefined): string {
	const type = (mimeType ?? '').trim().toLowerCase();
	return MIME_TYPE.test(type) ? type : 'application/octet-stream';
}

function imageType(mimeType: string): string {
	const base = mimeType.split(';')[0].trim().toLowerCase();
	if (base === 'image/jpeg' || base === 'image/jpg') return 'image/jpeg';
	if (base === 'image/png') return 'image/png';
	throw new BadRequest(`WhatsApp photos are JPEG or PNG, not ${base || 'unknown'}. Send it as a document instead.`);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > MAX_BODY) {
				reject(new BadRequest('The file is too large for the sandbox (40 MB at most).'));
				req.destroy();
			} else chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

/** A JSON object body; JSON only, so a cross-site form post or a text/plain fetch (no CORS preflight) never gets through. */
async function readJsonObject<T extends object>(req: IncomingMessage): Promise<T> {
	if (mediaType(req.headers['content-type']) !== 'application/json') {
		throw new HttpError(415, 'Send JSON (Content-Type: application/json).', { 'Accept-Post': 'application/json' });
	}
	let input: unknown;
	try {
		input = JSON.parse((await readBody(req)).toString('utf8'));
	} catch (error) {
		if (error instanceof BadRequest) throw error;
		throw new BadRequest('The request is not JSON.');
	}
	if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadRequest('Send a JSON object.');
	return input as T;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		...SECURITY_HEADERS,
		...headers,
		'Content-Type': 'application/json; charset=utf-8',
		'Cache-Control': 'no-store',
		'Content-Length': Buffer.byteLength(text),
	});
	res.end(text);
}

/** The media type of a Content-Type header, lower-case, without parameters. */
function mediaType(header: string | undefined): string {
	return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** A header parameter value in RFC 5987 encoding (filename*=UTF-8''…). */
function rfc5987(value: string): string {
	return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Printable in a log line: no control characters, bounded. */
function printable(value: string | undefined): string {
	return value === undefined ? '(none)' : JSON.stringify(value.slice(0, 200));
}

function paramsOf(record: SentRecord): Record<string, unknown> {
	const value = record.body[record.type];
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

/** The reply buttons of an interactive `button` message (`action.buttons[].reply`), or none. */
function replyButtonsOf(record: SentRecord): ReplyButton[] {
	if (record.type !== 'interactive') return [];
	const interactive = paramsOf(record) as { type?: unknown; action?: { buttons?: unknown } };
	if (interactive.type !== 'button' || !Array.isArray(interactive.action?.buttons)) return [];
	return (interactive.action.buttons as Array<{ reply?: { id?: unknown; title?: unknown } }>)
		.map((button) => ({ id: str(button?.reply?.id), title: str(button?.reply?.title) }))
		.filter((button): button is ReplyButton => button.id !== undefined && button.title !== undefined);
}

/** An interactive message's body and footer text (`body.text`, `footer.text`). */
function interactiveText(record: SentRecord): { text?: string; footer?: string } {
	const interactive = paramsOf(record) as { body?: { text?: unknown }; footer?: { text?: unknown } };
	return { text: str(interactive.body?.text), footer: str(interactive.footer?.text) };
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
	const { graph, customer } = options;
	// the store and keys are checked now (a secret too short fails the start), the store opened on first use
	const storeConfig = options.store ? storeConfigOf(options.store) : undefined;
	const storeKeys = options.store ? toContentKeys(options.store.credential) : undefined;
	if (options.store && !storeKeys) throw new Error('sandbox: the WhatsAuto store credential has no secret key, so no pseudonyms to find a pause by');
	let storeOpening: Promise<WhatsAutoStore> | undefined;
	let closed = false;
	const log: SandboxEvent[] = [];
	let seq = 0;
	const clients = new Set<ServerResponse>();
	const ourIds = new Set<string>();

	const emit = (event: NewEvent) => {
		const full = { ...event, seq: ++seq, at: new Date().toISOString() } as SandboxEvent;
		log.push(full);
		if (log.length > MAX_EVENTS) log.shift();
		const frame = `id: ${full.seq}\ndata: ${JSON.stringify(full)}\n\n`;
		for (const client of clients) client.write(frame);
	};

	// What n8n sent through the fake Graph API, picked up as it is recorded.
	const toCustomer = (r: SentRecord) => r.waId === customer.waId || String(r.to ?? '').replace(/\D/g, '') === customer.waId;
	const business = (r: SentRecord) => {
		const p = paramsOf(r);
		const interactive = r.type === 'interactive' ? interactiveText(r) : {};
		const buttons = replyButtonsOf(r);
		const text =
			r.type === 'text'
				? str(p.body)
				: r.type === 'reaction'
					? str(p.emoji)
					: r.type === 'template'
						? `[template “${str(p.name) ?? '?'}”]`
						: interactive.text;
		const caption = str(p.caption);
		const label = text ?? caption ?? '';
		const context = r.body.context as { message_id?: string } | undefined;
		emit({
			type: 'business',
			id: r.id,
			kind: r.type,
			text,
			caption,
			filename: str(p.filename),
			mediaId: str(p.id),
			mimeType: str(p.id) ? graph.getMedia(String(p.id))?.mimeType : undefined,
			offline: label.includes(OFFLINE_LABEL), // the first reply may open with the AI disclosure
			inWindow: r.inWindow,
			replyTo: context?.message_id,
			...(interactive.footer ? { footer: interactive.footer } : {}),
			...(buttons.length ? { buttons } : {}),
		});
	};
	const readOrTyping = (type: 'read' | 'typing') => (r: ReadRecord) => {
		if (ourIds.has(r.messageId)) emit({ type, id: r.messageId });
	};
	const sources: Array<[() => object[], (r: never) => void]> = [
		[() => graph.readReceipts, readOrTyping('read')],
		[() => graph.typingIndicators, readOrTyping('typing')],
		[() => graph.sent, (r: SentRecord) => (toCustomer(r) ? business(r) : undefined)],
	];
	// one set per list: a read receipt with "typing…" is the same record in readReceipts and typingIndicators
	const seen = sources.map(() => new WeakSet<object>());
	const poll = () => {
		for (const [i, [list, handle]] of sources.entries()) {
			for (const record of list()) {
				if (seen[i].has(record)) continue;
				seen[i].add(record);
				(handle as (r: object) => void)(record);
			}
		}
	};
	poll(); // what happened before the sandbox started is not part of this conversation
	log.length = 0;
	seq = 0;
	const timer = setInterval(poll, 100);
	timer.unref();

	/** The reply button `buttonId` of the interactive message `messageId` the business sent this customer. */
	function tappedButton(messageId: unknown, buttonId: unknown): ReplyButton {
		if (typeof messageId !== 'string' || typeof buttonId !== 'string') throw new BadRequest('Name the message and the button tapped.');
		const sent = graph.sent.find((r) => r.id === messageId && toCustomer(r));
		if (!sent) throw new BadRequest('No such message from the business in this chat.');
		const button = replyButtonsOf(sent).find((b) => b.id === buttonId);
		if (!button) throw new BadRequest('That message has no such reply button.');
		return button;
	}

	/** Signs and POSTs a webhook to n8n as Meta would, and tells the page what n8n answered. */
	async function deliver(id: string, input: DeliverInput, opts?: DeliverOptions): Promise<{ id: string; status: number }> {
		const [result] = await graph.deliver(input, opts);
		const ok = result.status >= 200 && result.status < 300;
		emit({ type: 'delivery', id, status: result.status, ok, ...(result.error ? { error: result.error } : {}) });
		return { id, status: result.status };
	}

	async function send(input: SendInput): Promise<{ id: string; status: number }> {
		const id = wamid(customer.waId);
		const text = (input.text ?? '').trim();
		let message: WebhookMessage;
		let mediaId: string | undefined;
		let mimeType: string | undefined;
		let transcript: string | undefined;
		let tapped: { replyTo: string; button: ReplyButton } | undefined;
		if (input.kind === 'button') {
			// what WhatsApp sends for a tap on a reply button: its id and title, quoting the message it was under
			const button = tappedButton(input.messageId, input.buttonId);
			tapped = { replyTo: String(input.messageId), button };
			message = msg.buttonReply(customer.waId, button, { id, context: { from: graph.account.displayPhoneNumber, id: tapped.replyTo } });
		} else if (input.kind === 'text') {
			if (!text) throw new BadRequest('Type a message first.');
			message = msg.text(customer.waId, text, { id });
		} else if (input.kind === 'image' || input.kind === 'audio' || input.kind === 'document') {
			const bytes = Buffer.from(input.data ?? '', 'base64');
			if (!bytes.length) throw new BadRequest('The file is empty.');
			if (bytes.length > LIMITS[input.kind]) throw new BadRequest(`WhatsApp limits ${input.kind === 'image' ? 'photos' : input.kind} to ${LIMITS[input.kind] >> 20} MB.`);
			mimeType =
				input.kind === 'image'
					? imageType(input.mimeType ?? '')
					: input.kind === 'audio'
						? audioType(input.mimeType ?? '')
						: documentType(input.mimeType);
			const filename = input.kind === 'document' ? input.filename || 'document' : undefined;
			const media = graph.addMedia({ bytes, mimeType, filename });
			mediaId = media.id;
			if (input.kind === 'image') message = msg.image(customer.waId, media, { id, caption: text || undefined });
			else if (input.kind === 'document') message = msg.document(customer.waId, media, { id, caption: text || undefined, filename });
			else {
				message = msg.audio(customer.waId, media, { id, voice: true });
				if (options.offlineAi) {
					transcript = input.transcript?.trim() || text || defaultTranscript(bytes.length / 2000);
					options.offlineAi.setTranscript(media.sha256Hex, transcript);
				}
			}
		} else {
			throw new BadRequest(`Unknown kind ${String(input.kind)}.`);
		}
		ourIds.add(id);
		emit({
			type: 'customer',
			id,
			kind: input.kind,
			text: tapped ? tapped.button.title : input.kind === 'audio' ? undefined : text || undefined,
			filename: input.kind === 'document' ? input.filename || 'document' : undefined,
			mimeType,
			mediaId,
			transcript,
			...(tapped ? { replyTo: tapped.replyTo, buttonId: tapped.button.id } : {}),
		});
		return await deliver(id, [message], { names: customer.name });
	}

	async function answerAsAgent(input: unknown): Promise<{ id: string; status: number }> {
		const text = typeof input === 'string' ? input.trim() : '';
		if (!text) throw new BadRequest('Type the answer first.');
		const id = wamid(customer.waId, 'out');
		emit({ type: 'agent', id, text });
		return await deliver(id, echoesChange(graph.account, [echo(graph.account, customer.waId, text, { id })]));
	}

	/** The one store handle of this server (opened on first use, kept until close). */
	function openedStore(config: StoreConfig): Promise<WhatsAutoStore> {
		if (closed) return Promise.reject(new HttpError(503, 'The sandbox is stopping.'));
		if (!storeOpening) {
			const opening = openStore(config);
			storeOpening = opening;
			opening.catch(() => {
				if (storeOpening === opening) storeOpening = undefined; // the next request tries again
			});
		}
		return storeOpening;
	}

	/** Ends the customer's pause the way the Auto-Reply node's Resume AI does (its Contact: the customer's number). */
	async function resumeAi(): Promise<{ resumed: boolean }> {
		if (!storeConfig || !storeKeys) throw new HttpError(503, 'This sandbox has no WhatsAuto store to resume the AI in.');
		let resumed = false;
		// no store file yet: the nodes have kept nothing, so nothing is paused (and the file is theirs to create)
		if (storeConfig.backend !== 'sqlite' || existsSync(storeConfig.path)) {
			const store = await openedStore(storeConfig);
			const person = await personOf(store, storeKeys, customer.waId);
			if (!person) throw new Error(`sandbox: ${customer.waId} is not a WhatsApp number`);
			resumed = await resume(store, person.subject);
		}
		emit({ type: 'resume', id: `resume.${randomUUID()}`, resumed });
		return { resumed };
	}

	const info = () => ({
		customer,
		business: { name: options.businessName, phoneNumber: formatDisplayNumber(graph.account.displayPhoneNumber) },
		customerNumber: formatDisplayNumber(customer.waId),
		ai: options.ai,
		links: options.links,
	});

	// Who may talk to this server; filled in once it listens (the port may be chosen by the OS).
	const allowedHosts = new Set<string>();
	const allowedOrigins = new Set<string>();
	let ownOrigin = '';
	const logLine = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

	function refuse(req: IncomingMessage, why: string): never {
		logLine(`sandbox: refused ${req.method ?? '?'} ${printable(req.url)}: ${why}`);
		throw new HttpError(403, 'Forbidden: the sandbox only answers its own page.');
	}

	/** `Host` must be this server (DNS rebinding); a state-changing request must come from its page (`Origin`). */
	function checkSource(req: IncomingMessage) {
		const host = req.headers.host;
		if (host === undefined || !allowedHosts.has(host.toLowerCase())) refuse(req, `Host ${printable(host)} is not this sandbox (${ownOrigin})`);
		if (SAFE_METHODS.includes(req.method ?? '')) return;
		const origin = req.headers.origin;
		if (origin === undefined || !allowedOrigins.has(origin.toLowerCase())) {
			refuse(req, `Origin ${printable(origin)} is not this sandbox (${ownOrigin})`);
		}
	}

	/** The methods each path answers (anything else there: 405). */
	function methodsFor(pathname: string): string | undefined {
		if (STATIC[pathname] || pathname === '/api/info' || pathname === '/api/events' || /^\/media\/\d+$/.test(pathname)) return 'GET';
		if (pathname === '/api/send' || pathname === '/api/agent' || pathname === '/api/resume') return 'POST';
		return undefined;
	}

	async function handle(req: IncomingMessage, res: ServerResponse) {
		checkSource(req);
		const url = new URL(req.url ?? '/', 'http://sandbox');
		const method = req.method ?? 'GET';
		const allowed = methodsFor(url.pathname);
		if (!allowed) return json(res, 404, { error: 'Not found.' });
		if (method !== allowed) throw new HttpError(405, `${method} is not allowed here.`, { Allow: allowed });
		const file = STATIC[url.pathname];
		if (file) {
			const body = await readFile(join(options.publicDir, file));
			res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
			res.end(body);
			return;
		}
		if (url.pathname === '/api/info') return json(res, 200, info());
		if (url.pathname === '/api/events') {
			res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
			res.write('retry: 1000\n\n');
			for (const event of log) res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
			clients.add(res);
			const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
			ping.unref();
			req.on('close', () => {
				clearInterval(ping);
				clients.delete(res);
			});
			return;
		}
		if (url.pathname === '/api/send') return json(res, 200, await send(await readJsonObject<SendInput>(req)));
		if (url.pathname === '/api/agent') return json(res, 200, await answerAsAgent((await readJsonObject<{ text?: unknown }>(req)).text));
		if (url.pathname === '/api/resume') {
			await readJsonObject(req); // nothing to say but `{}`; JSON all the same (no "simple" cross-site request)
			return json(res, 200, await resumeAi());
		}
		const media = /^\/media\/(\d+)$/.exec(url.pathname)!;
		const stored = graph.getMedia(media[1]);
		if (!stored) return json(res, 404, { error: 'No such media.' });
		const original = stored.filename ?? `media-${stored.id}`;
		const name = original.replace(/[^\w.\- ]/g, '_');
		const type = stored.mimeType.toLowerCase();
		// always an attachment (a navigation downloads it; <img>/<audio> on the page still show it), never sniffed
		res.writeHead(200, {
			...MEDIA_HEADERS,
			'Content-Type': MIME_TYPE.test(type) ? type : 'application/octet-stream',
			'Content-Length': stored.bytes.length,
			'Content-Disposition': `attachment; filename="${name}"${name === original ? '' : `; filename*=UTF-8''${rfc5987(original)}`}`,
			'Cache-Control': 'no-store',
		});
		res.end(stored.bytes);
	}

	const server = http.createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (res.headersSent) {
				res.destroy();
				return;
			}
			if (error instanceof HttpError) {
				// refused before the body was read: do not keep the connection (and an upload) going
				json(res, error.status, { error: error.message }, { ...error.headers, Connection: 'close' });
				return;
			}
			json(res, error instanceof BadRequest ? 400 : 500, { error: error instanceof Error ? error.message : String(error) });
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const names = ['localhost', '127.0.0.1', '[::1]'];
	const bound = options.host && !['0.0.0.0', '::'].includes(options.host) ? (options.host.includes(':') ? `[${options.host}]` : options.host) : undefined;
	if (bound && !names.includes(bound)) names.push(bound.toLowerCase());
	for (const name of names) {
		allowedHosts.add(`${name}:${port}`);
		allowedOrigins.add(`http://${name}:${port}`);
		if (port === 80) {
			// browsers leave the default port out
			allowedHosts.add(name);
			allowedOrigins.add(`http://${name}`);
		}
	}
	ownOrigin = `http://localhost:${port}`;

	return {
		url: `http://localhost:${port}`,
		port,
		events: () => [...log],
		send,
		answerAsAgent,
		resumeAi,
		async close() {
			closed = true;
			clearInterval(timer);
			for (const client of clients) client.end();
			clients.clear();
			const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
			server.closeAllConnections();
			await stopped;
			const store = await storeOpening?.catch(() => undefined);
			storeOpening = undefined;
			await store?.close();
		},
	};
}
