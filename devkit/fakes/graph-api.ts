/**
 * A faithful local fake of Meta's Graph API for the WhatsApp Cloud API (wire formats: shared/reference/whatsapp-cloud-api.md).
 *
 *   const graph = await startFakeGraphApi({ accessToken: 'EAAG…test', appSecret: 'test_app_secret',
 *     phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' });
 *   // point the node at graph.baseUrl instead of https://graph.facebook.com (paths /{version}/…, version optional)
 *   graph.setWebhookTarget(n8nWebhookUrl);
 *   await graph.deliver(msg.text('16505551234', 'Olá'));        // signed, Meta-escaped webhook POST; opens the 24 h window
 *   const sent = await graph.waitFor('sent');                  // the node's reply
 *   await graph.close();
 *
 * Serves what the package calls: POST /{pnid}/messages (send, mark-as-read, typing indicator), GET /{pnid},
 * POST /{waba}/subscribed_apps, GET /{media-id}, POST /{pnid}/media (multipart),
 * GET /whatsapp_business/attachments/?mid=…&ext=…&hash=… (media download).
 * Simulates: Bearer auth (190), unknown ids (100/33), the 24 h window (131047 async by default), pair rate (131056),
 * throughput (130429), status webhooks, expired versions (x-ad-api-version-warning), fault injection (`inject`).
 * Everything is bounded: records are capped (`maxRecords`), bodies are capped (`maxBodyBytes`), and `close()` destroys
 * every socket, cancels timers and waits for in-flight webhook posts.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';

import { closeServer, createFakeServer, FakeServerBase, listenOn } from './fake-server-base';
import { graphJson, signWebhook, webhookBytes } from './meta-json';
import { parseMultipart, type MultipartPart } from './multipart';
import {
	fbtraceId,
	graphError,
	markReadError,
	META_ERRORS,
	paramError,
	tokenError,
	unknownObjectError,
	type GraphErrorBody,
} from './meta-errors';
import { validateSend, type Params, type TemplateSpec } from './send-validation';
import {
	conversationObject,
	envelope,
	failedStatus,
	messagesChange,
	numericId,
	SERVICE_PRICING,
	status,
	statusesChange,
	templatePricing,
	wamid,
	type Account,
	type JsonObject,
	type MediaRef,
	type WebhookChange,
	type WebhookEnvelope,
	type WebhookMessage,
	type WebhookStatus,
} from './webhook-payloads';

// ================================================================ public types

export interface FakeGraphApiOptions {
	accessToken: string;
	appSecret: string;
	phoneNumberId: string;
	/** Digits, as in webhook metadata (e.g. '15550783881'). */
	displayPhoneNumber: string;
	businessAccountId: string;
	verifiedName?: string;
	/** Version used for unversioned paths and reported by default; v<24 adds `conversation` to statuses. Default 'v23.0'. */
	version?: string;
	/** Requests to these are served with `x-ad-api-version-warning` and `facebook-api-version: upgradeVersion`. Default v13.0–v19.0. */
	expiredVersions?: string[];
	upgradeVersion?: string; // default 'v20.0'
	port?: number; // default 0 (random)
	host?: string; // default 127.0.0.1
	/** Host used in baseUrl and media URLs (e.g. 'host.docker.internal' when n8n runs in a container). Default: the bound address. */
	publicHost?: string;
	/** Injectable clock (ms since epoch); `advanceClock()` adds on top of it. */
	now?: () => number;
	mediaUrlTtlMs?: number; // default 5 min
	/** Status of a media download without a Bearer token. Default 401. */
	mediaDownloadWithoutToken?: 401 | 404;
	webhookTarget?: string;
	/** After a successful send, POST signed `sent`→`delivered`→`read` status webhooks to the target. Default off. */
	emitStatuses?: boolean | { delivered?: boolean; read?: boolean; played?: boolean; intervalMs?: number };
	/** Non-template send outside the 24 h window: 'async' (200 + failed status webhook, default), 'sync' (400), 'off'. */
	window131047?: 'async' | 'sync' | 'off';
	/** Per-recipient token bucket: `burst` sends, refilled 1 per `intervalMs`. Default {burst: 45, intervalMs: 6000}; false = off. */
	pairRateLimit?: false | { burst: number; intervalMs: number };
	/** Sends per sliding window across all recipients. Default {max: 80, windowMs: 1000}; false = off. */
	globalRateLimit?: false | { max: number; windowMs: number };
	/**
	 * If given, template sends must name one of these (else 404 132001); an AUTHENTICATION one sent to a
	 * business-scoped user id is refused with 131062 (they need a phone number).
	 */
	templates?: TemplateSpec[];
	/** Mark-as-read only accepts ids of delivered inbound messages. Default true. */
	strictReadIds?: boolean;
	/** Every authenticated call fails with 401 code 190 subcode 463. Toggle with `setTokenExpired()`. */
	tokenExpired?: boolean;
	webhookTimeoutMs?: number; // default 10 000
	maxRecords?: number; // per record list, default 10 000
	maxBodyBytes?: number; // default 101 MiB
}

export interface RequestRecord {
	method: string;
	path: string;
	query: Record<string, string>;
	version: string | null;
	status: number; // 0 = connection reset / no response
	hasAuth: boolean;
	injected?: string;
	at: Date;
}
export interface SentRecord {
	id: string;
	/** `to` as sent, else `recipient` (a business-scoped user id). */
	to: unknown;
	waId?: string;
	/** The business-scoped user id a `recipient` send went to (no `to`). */
	userId?: string;
	type: string;
	body: Params;
	headers: IncomingHttpHeaders;
	inWindow: boolean;
	version: string | null;
	at: Date;
}
export interface ReadRecord {
	messageId: string;
	typing: boolean;
	body: Params;
	at: Date;
}
export interface SubscriptionRecord {
	kind: 'subscribed_apps';
	method: 'POST';
	params: Params;
	callbackUrl?: string;
	at: Date;
}
export interface UploadRecord {
	id: string;
	mimeType: string;
	filename?: string;
	size: number;
	at: Date;
}
export interface DeliveryResult {
	status: number; // 0 = network error
	body: string;
	headers: IncomingHttpHeaders;
	ms: number;
	error?: string;
}
export interface WebhookRecord {
	kind: 'delivery' | 'status';
	url: string;
	payload: unknown;
	bytes: Buffer;
	/** Flattened statuses[] of the payload (handy for waitFor). */
	statuses: WebhookStatus[];
	results: DeliveryResult[];
	at: Date;
}
export interface Records {
	requests: RequestRecord;
	sent: SentRecord;
	readReceipts: ReadRecord;
	typingIndicators: ReadRecord;
	subscriptions: SubscriptionRecord;
	uploads: UploadRecord;
	webhooks: WebhookRecord;
}

export type InjectPreset =
	| 'server_error' // 500, 131000
	| 'service_unavailable' // 500, 131016
	| 'rate_limit' // 400, 130429 (use status: 429 for the HTTP-429 flavour)
	| 'app_rate_limit' // 400, code 4
	| 'pair_rate_limit' // 400, 131056
	| 'spam_rate_limit' // 400, 131048
	| 'token_expired' // 401, 190/463
	| 'invalid_token' // 401, 190
	| 'invalid_parameter' // 400, 100
	| 'unknown_object' // 400, GraphMethodException 100/33
	| 'permission_denied' // 403, code 10
	| 'account_locked' // 403, 131031
	| 'maintenance' // 500, 131057
	| 're_engagement' // 400, 131047 (synchronous flavour)
	| 'undeliverable' // 400, 131026
	| 'not_allowed_list' // 400, 131030
	| 'reset' // TCP reset, no response
	| 'hang'; // never answers (until close())

export interface InjectRule {
	/** Substring of the path (e.g. '/messages') or a RegExp tested against the path. Default: any. */
	path?: string | RegExp;
	method?: string;
	/** Extra predicate (e.g. on the parsed body). */
	when?: (req: { method: string; path: string; params: Params }) => boolean;
	/** How many matching requests this applies to. Default 1; Infinity for all. */
	times?: number;
	/** A preset, or any numeric WhatsApp error code from the catalogue. Omit with delayMs for a slow but normal answer. */
	error?: InjectPreset | number;
	status?: number;
	body?: object | string;
	headers?: Record<string, string>;
	retryAfterSeconds?: number;
	delayMs?: number;
}
export type SignatureMode = 'valid' | 'wrong' | 'missing' | 'malformed' | 'unprefixed' | 'reserialised';
export interface DeliverOptions {
	/** Default: the webhook target. */
	url?: string;
	/**
	 * valid (default); wrong = HMAC with another secret; missing = no header; malformed = truncated hex;
	 * unprefixed = bare hex without `sha256=`; reserialised = HMAC of JSON.stringify(payload) (raw UTF-8), i.e. what a buggy
	 * re-serialising verifier computes — a correct receiver must reject it when the payload has non-ASCII text.
	 */
	signature?: SignatureMode;
	/** Total identical POSTs (Meta redelivery). Default 1. */
	times?: number;
	/** Extra identical copies after the first (alias: times = 1 + duplicate). */
	duplicate?: number;
	/** Send the copies concurrently (dedupe races) instead of one after another. */
	concurrent?: boolean;
	headers?: Record<string, string>;
	/** Profile names for contacts derived from messages: one name or { waId: name }. */
	names?: Record<string, string> | string;
	/** Usernames (2026) for contacts derived from messages: { waId or user id: username }. */
	usernames?: Record<string, string>;
	/** false = plain JSON.stringify bytes (raw UTF-8) instead of Meta's \u escapes; still validly signed. */
	metaEscaping?: boolean;
}
export type DeliverInput = WebhookEnvelope | WebhookChange | WebhookChange[] | WebhookMessage | WebhookMessage[] | Buffer | string;

export interface StoredMedia {
	id: string;
	bytes: Buffer;
	mimeType: string;
	filename?: string;
	sha256Hex: string;
	sha256Base64: string;
}

// ================================================================ constants

const DEFAULTS = {
	version: 'v23.0',
	upgradeVersion: 'v20.0',
	expiredVersions: ['v13.0', 'v14.0', 'v15.0', 'v16.0', 'v17.0', 'v18.0', 'v19.0'],
	mediaUrlTtlMs: 5 * 60_000,
	webhookTimeoutMs: 10_000,
	maxRecords: 10_000,
	maxBodyBytes: 101 * 1024 * 1024,
};
const DAY_MS = 24 * 3600_000;
const PHONE_DEFAULT_FIELDS = ['verified_name', 'code_verification_status', 'display_phone_number', 'quality_rating', 'platform_type', 'throughput', 'id'];

/** Supported upload MIME types and limits (reference §4). */
const MEDIA_LIMITS: { kind: string; types: string[]; maxBytes: number }[] = [
	{ kind: 'audio', types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 << 20 },
	{
		kind: 'document',
		types: [
			'text/plain',
			'application/pdf',
			'application/msword',
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
			'application/vnd.ms-excel',
			'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
			'application/vnd.ms-powerpoint',
			'application/vnd.openxmlformats-officedocument.presentationml.presentation',
		],
		maxBytes: 100 << 20,
	},
	{ kind: 'image', types: ['image/jpeg', 'image/png'], maxBytes: 5 << 20 },
	{ kind: 'sticker', types: ['image/webp'], maxBytes: 500 << 10 },
	{ kind: 'video', types: ['video/mp4', 'video/3gpp'], maxBytes: 16 << 20 },
];
const EXT: Record<string, string> = {
	'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'video/mp4': 'mp4', 'video/3gpp': '3gp',
	'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/mp4': 'm4a',
	'application/pdf': 'pdf', 'text/plain': 'txt',
};

const PRESETS: Record<Exclude<InjectPreset, 'reset' | 'hang'>, (method: string, id: string) => { status: number; body: GraphErrorBody }> = {
	server_error: () => ({ status: 500, body: graphError(131000) }),
	service_unavailable: () => ({ status: 500, body: graphError(131016) }),
	rate_limit: () => ({ status: 400, body: graphError(130429) }),
	app_rate_limit: () => ({ status: 400, body: graphError(4) }),
	pair_rate_limit: () => ({ status: 400, body: graphError(131056) }),
	spam_rate_limit: () => ({ status: 400, body: graphError(131048) }),
	token_expired: () => ({ status: 401, body: tokenError(true) }),
	invalid_token: () => ({ status: 401, body: tokenError(false) }),
	invalid_parameter: () => ({ status: 400, body: graphError(100) }),
	unknown_object: (method, id) => ({ status: 400, body: unknownObjectError(method, id) }),
	permission_denied: () => ({ status: 403, body: graphError(10) }),
	account_locked: () => ({ status: 403, body: graphError(131031) }),
	maintenance: () => ({ status: 500, body: graphError(131057) }),
	re_engagement: () => ({ status: 400, body: graphError(131047) }),
	undeliverable: () => ({ status: 400, body: graphError(131026) }),
	not_allowed_list: () => ({ status: 400, body: graphError(131030) }),
};

// ================================================================ internals

interface Ctx {
	req: IncomingMessage;
	method: string;
	path: string;
	query: Record<string, string>;
	segments: string[];
	version: string | null;
	served: string;
	expired: boolean;
	params: Params;
	files: MultipartPart[];
	token?: string;
}
interface Reply {
	status: number;
	body: string | Buffer;
	headers: Record<string, string>;
}

const isObj = (x: unknown): x is Params => typeof x === 'object' && x !== null && !Array.isArray(x);
const ms = (d: Date) => d.getTime();

/** Start a fake on 127.0.0.1 (random port by default). */
export async function startFakeGraphApi(options: FakeGraphApiOptions): Promise<FakeGraphApi> {
	const graph = new FakeGraphApi(options);
	await graph.listen();
	return graph;
}

export class FakeGraphApi extends FakeServerBase<Records, InjectRule> {
	/** `http://127.0.0.1:PORT` — use where https://graph.facebook.com would go. */
	baseUrl = '';
	readonly options: FakeGraphApiOptions;
	readonly account: Account;

	// ---- records (capped at maxRecords, oldest dropped)
	readonly requests: RequestRecord[] = [];
	readonly sent: SentRecord[] = [];
	readonly readReceipts: ReadRecord[] = [];
	readonly typingIndicators: ReadRecord[] = [];
	readonly subscriptions: SubscriptionRecord[] = [];
	readonly uploads: UploadRecord[] = [];
	readonly webhooks: WebhookRecord[] = [];

	private readonly server: http.Server;
	private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
	private readonly tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
	private readonly urlKey = randomBytes(32);
	private readonly media = new Map<string, StoredMedia>();
	private readonly inboundIds = new Set<string>();
	private readonly outboundIds = new Set<string>();
	private readonly lastInbound = new Map<string, number>();
	private readonly pairBuckets = new Map<string, { tokens: number; at: number }>();
	private sendTimes: number[] = [];
	private target: string | undefined;
	private tokenExpired: boolean;

	constructor(options: FakeGraphApiOptions) {
		super('fake graph api');
		this.options = options;
		this.account = {
			phoneNumberId: options.phoneNumberId,
			displayPhoneNumber: options.displayPhoneNumber,
			businessAccountId: options.businessAccountId,
		};
		this.target = options.webhookTarget;
		this.tokenExpired = options.tokenExpired ?? false;
		this.server = createFakeServer('fake graph api', this.work, (req, res) => this.handle(req, res));
	}

	protected maxRecords(): number {
		return this.options.maxRecords ?? DEFAULTS.maxRecords;
	}

	/** @internal use startFakeGraphApi() */
	async listen(): Promise<void> {
		const { address, port } = await listenOn(this.server, this.options.port, this.options.host);
		const host = this.options.publicHost ?? (address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address);
		this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
	}

	/** Closes the server and every socket, cancels timers, waits for in-flight work. */
	async close(): Promise<void> {
		if (this.closed) return;
		this.work.close();
		const closing = closeServer(this.server);
		this.agent.destroy();
		this.tlsAgent.destroy();
		await this.work.drain();
		await closing;
	}

	// ---------------------------------------------------------------- clock, state, configuration

	/**
	 * The data of a WhatsAuto WhatsApp credential (whatsAutoMetaApi) that points a node at this fake: its access
	 * token, App Secret and ids, `verifyToken` for the webhook handshake, Graph API v23.0 at {@link baseUrl}.
	 */
	credentialData(verifyToken: string): Record<string, string> {
		const { accessToken, appSecret, phoneNumberId, businessAccountId } = this.options;
		return { accessToken, appSecret, verifyToken, phoneNumberId, businessAccountId, graphApiVersion: 'v23.0', baseUrl: this.baseUrl };
	}

	/** Where webhooks (deliver() and automatic status webhooks) are POSTed. */
	setWebhookTarget(url: string | undefined): void {
		this.target = url;
	}
	get webhookTarget(): string | undefined {
		return this.target;
	}
	setTokenExpired(expired: boolean): void {
		this.tokenExpired = expired;
	}
	/** Override the customer's last inbound time (opens/closes the 24 h window). `null` forgets it. */
	setLastInbound(waId: string, at: Date | number | null): void {
		if (at === null) this.lastInbound.delete(waId);
		else this.lastInbound.set(waId, typeof at === 'number' ? at : ms(at));
	}
	/** Whether a non-template send to waId would be inside the customer-service window now. */
	inWindow(waId: string): boolean {
		const t = this.lastInbound.get(waId);
		return t !== undefined && this.now() - t < DAY_MS;
	}

	/** Forget records, injections, windows, rate buckets and subscriptions (media and webhook target are kept). */
	reset(): void {
		for (const list of [this.requests, this.sent, this.readReceipts, this.typingIndicators, this.subscriptions, this.uploads, this.webhooks])
			list.length = 0;
		this.rules.clear();
		this.inboundIds.clear();
		this.outboundIds.clear();
		this.lastInbound.clear();
		this.pairBuckets.clear();
		this.sendTimes = [];
	}

	// ---------------------------------------------------------------- media

	/** Register media a customer "sent". Use the result in msg.image()/audio()/… so ids and sha256 match. */
	addMedia(m: { bytes: Buffer; mimeType: string; filename?: string; id?: string }): MediaRef & { sha256Hex: string; fileSize: number } {
		const stored = this.storeMedia(m.bytes, m.mimeType, m.filename, m.id);
		return {
			id: stored.id,
			mimeType: stored.mimeType,
			sha256Base64: stored.sha256Base64,
			sha256Hex: stored.sha256Hex,
			fileSize: stored.bytes.length,
			url: this.mediaUrl(stored.id),
		};
	}
	getMedia(id: string): StoredMedia | undefined {
		return this.media.get(id);
	}
	/** A fresh download URL (valid for mediaUrlTtlMs from now), as GET /{media-id} returns it. */
	mediaUrl(id: string): string {
		const ext = Math.floor((this.now() + (this.options.mediaUrlTtlMs ?? DEFAULTS.mediaUrlTtlMs)) / 1000);
		return `${this.baseUrl}/whatsapp_business/attachments/?mid=${id}&ext=${ext}&hash=${this.urlHash(id, ext)}`;
	}

	// ---------------------------------------------------------------- webhooks out

	/**
	 * Sign and POST a webhook like Meta: Meta-escaped bytes, `X-Hub-Signature-256`, `Content-Type: application/json`.
	 * Input: a full envelope, change(s), message(s) (wrapped in one messages change with derived contacts), or raw bytes.
	 * Validly signed deliveries from this phone number record inbound ids (for mark-as-read) and open the 24 h window.
	 * Returns one result per POST (see `times`).
	 */
	async deliver(input: DeliverInput, opts: DeliverOptions = {}): Promise<DeliveryResult[]> {
		const url = opts.url ?? this.target;
		if (!url) throw new Error('fake graph api: deliver() needs a webhook target (setWebhookTarget or opts.url)');
		const payload = typeof input === 'string' || Buffer.isBuffer(input) ? undefined : this.toEnvelope(input, opts.names, opts.usernames);
		const bytes =
			payload === undefined
				? Buffer.from(input as string | Buffer)
				: opts.metaEscaping === false
					? Buffer.from(JSON.stringify(payload))
					: webhookBytes(payload);
		const mode = opts.signature ?? 'valid';
		if (mode === 'valid') this.noteInbound(payload ?? tryParse(bytes));
		const headers: Record<string, string> = { ...this.signatureHeader(bytes, mode, payload), ...opts.headers };
		const times = Math.max(1, opts.times ?? 1 + (opts.duplicate ?? 0));
		const results: DeliveryResult[] = [];
		if (opts.concurrent) results.push(...(await Promise.all(Array.from({ length: times }, () => this.post(url, bytes, headers)))));
		else for (let i = 0; i < times; i++) results.push(await this.post(url, bytes, headers));
		this.log.record('webhooks', { kind: 'delivery', url, payload: payload ?? bytes.toString('utf8'), bytes, statuses: statusesOf(payload), results, at: new Date(this.now()) });
		return results;
	}

	/** Record inbound message ids / window opening from an envelope you POST yourself (deliver() does this automatically). */
	noteInbound(payload: WebhookEnvelope | undefined): void {
		if (!payload || !Array.isArray(payload.entry)) return;
		for (const entry of payload.entry)
			for (const change of entry.changes ?? []) {
				const v = change.value;
				if (v?.metadata?.phone_number_id !== this.options.phoneNumberId) continue;
				if (change.field === 'smb_message_echoes')
					for (const e of (v.message_echoes as WebhookMessage[] | undefined) ?? []) this.remember(this.outboundIds, e.id);
				if (change.field !== 'messages') continue;
				for (const m of (v.messages as WebhookMessage[] | undefined) ?? []) {
					this.remember(this.inboundIds, m.id);
					if (m.type === 'system') continue;
					const t = Number(m.timestamp) * 1000;
					// The window is the person's: open for their number and their business-scoped user id alike.
					for (const who of [m.from, typeof m.from_user_id === 'string' ? m.from_user_id : undefined]) {
						if (who && Number.isFinite(t) && t > (this.lastInbound.get(who) ?? -Infinity)) this.lastInbound.set(who, t);
					}
				}
			}
	}

	/** Meta's GET verification handshake against a webhook URL. `ok` = 200 with the challenge echoed as the body. */
	async verifyWebhook(
		url: string | undefined,
		o: { verifyToken: string; challenge?: string; mode?: string },
	): Promise<{ status: number; body: string; headers: IncomingHttpHeaders; ok: boolean }> {
		const target = url ?? this.target;
		if (!target) throw new Error('fake graph api: verifyWebhook() needs a URL');
		const challenge = o.challenge ?? String(1_000_000_000 + (randomBytes(4).readUInt32BE() % 1_000_000_000));
		const u = new URL(target);
		u.searchParams.set('hub.mode', o.mode ?? 'subscribe');
		u.searchParams.set('hub.challenge', challenge);
		u.searchParams.set('hub.verify_token', o.verifyToken);
		const r = await this.request(u.toString(), 'GET', undefined, { 'User-Agent': 'facebookplatform/1.0 (+http://developers.facebook.com)' });
		return { status: r.status, body: r.body, headers: r.headers, ok: r.status === 200 && r.body === challenge };
	}

	// ================================================================ HTTP handling

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://fake');
		const method = (req.method ?? 'GET').toUpperCase();
		const query = Object.fromEntries(url.searchParams);
		const segments = url.pathname.split('/').filter(Boolean);
		const version = segments[0] && /^v\d+\.\d+$/.test(segments[0]) ? (segments.shift() as string) : null;
		const requested = version ?? this.options.version ?? DEFAULTS.version;
		const expired = (this.options.expiredVersions ?? DEFAULTS.expiredVersions).includes(requested);
		const served = expired ? (this.options.upgradeVersion ?? DEFAULTS.upgradeVersion) : requested;
		const auth = /^(?:Bearer|OAuth)\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
		const rec: RequestRecord = { method, path: url.pathname, query, version, status: 0, hasAuth: Boolean(auth ?? query.access_token), at: new Date(this.now()) };
		this.log.record('requests', rec);

		let raw: Buffer;
		try {
			raw = await readBody(req, this.options.maxBodyBytes ?? DEFAULTS.maxBodyBytes);
		} catch {
			rec.status = 413;
			res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' }).end('Request Entity Too Large');
			return;
		}
		const { params, files } = parseParams(req.headers['content-type'], raw, query);
		const token = auth ?? query.access_token ?? (params.access_token as string | undefined);
		const ctx: Ctx = { req, method, path: url.pathname, query, segments, version, served, expired, params, files, token };

		let reply: Reply | undefined;
		const rule = this.takeRule(ctx);
		if (rule) {
			rec.injected = String(rule.error ?? (rule.status || rule.body ? 'custom' : 'delay'));
			if (rule.delayMs) await this.work.sleep(rule.delayMs);
			if (this.closed) return;
			if (rule.error === 'reset') {
				req.socket.resetAndDestroy();
				return;
			}
			if (rule.error === 'hang') return; // the socket is destroyed by close()
			reply = this.injectedReply(ctx, rule);
		}
		reply ??= await this.route(ctx);
		if (this.closed || res.destroyed) return;
		rec.status = reply.status;
		res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
		res.end(reply.body);
	}

	private async route(c: Ctx): Promise<Reply> {
		if (c.path.replace(/\/+$/, '') === '/whatsapp_business/attachments') return this.download(c);
		const [id, edge, ...rest] = c.segments;
		const authFailure = this.checkAuth(c);
		if (authFailure) return authFailure;
		if (!id) return this.fail(c, 400, unknownObjectError(c.method, ''));
		if (rest.length)
			return this.fail(c, 400, { error: { message: `Unknown path components: /${rest.join('/')}`, type: 'OAuthException', code: 2500, fbtrace_id: fbtraceId() } });
		const m = c.method;
		const o = this.options;

		if (id === o.phoneNumberId) {
			if (!edge && m === 'GET') return this.fields(c, this.phoneNumberObject(), PHONE_DEFAULT_FIELDS, 'WhatsAppBusinessPhoneNumber');
			if (edge === 'messages' && m === 'POST') return this.messages(c);
			if (edge === 'media' && m === 'POST') return this.upload(c);
		} else if (id === o.businessAccountId) {
			if (edge === 'subscribed_apps' && m === 'POST') return this.subscribeApp(c);
		} else if (this.media.get(id) && !edge) {
			const md = this.media.get(id) as StoredMedia;
			if (m === 'GET')
				return this.ok(c, { url: this.mediaUrl(id), mime_type: md.mimeType, sha256: md.sha256Hex, file_size: md.bytes.length, id, messaging_product: 'whatsapp' });
		}
		if (edge && m === 'GET' && (id === o.phoneNumberId || id === o.businessAccountId)) {
			const nodeType = id === o.phoneNumberId ? 'WhatsAppBusinessPhoneNumber' : 'WhatsAppBusinessAccount';
			return this.fail(c, 400, paramError(`Tried accessing nonexisting field (${edge}) on node type (${nodeType})`));
		}
		return this.fail(c, 400, unknownObjectError(m, id));
	}

	// ---------------------------------------------------------------- POST /{pnid}/messages

	private messages(c: Ctx): Reply {
		const p = c.params;
		if (p.messaging_product === undefined || p.messaging_product === '') return this.fail(c, 400, paramError('The parameter messaging_product is required.'));
		if (p.messaging_product !== 'whatsapp')
			return this.fail(c, 400, paramError(`Param messaging_product must be one of {WHATSAPP} - got "${String(p.messaging_product)}".`));
		if (p.status !== undefined) return this.markRead(c);

		const v = validateSend(p, { displayPhoneNumber: this.options.displayPhoneNumber, templates: this.options.templates });
		if (!v.ok) return this.fail(c, v.status, v.body);
		const now = this.now();

		const global = this.options.globalRateLimit ?? { max: 80, windowMs: 1000 };
		if (global) {
			this.sendTimes = this.sendTimes.filter((t) => now - t < global.windowMs);
			if (this.sendTimes.length >= global.max) return this.fail(c, 400, graphError(130429), { 'x-business-use-case-usage': this.usage(100) });
		}
		const key = v.waId ?? v.userId ?? v.input;
		const windowMode = this.options.window131047 ?? 'async';
		const inWindow = this.inWindow(key);
		const blocked = !inWindow && v.type !== 'template' && windowMode !== 'off';
		if (blocked && windowMode === 'sync') return this.fail(c, 400, graphError(131047));
		const pair = this.options.pairRateLimit ?? { burst: 45, intervalMs: 6000 };
		if (pair) {
			const b = this.pairBuckets.get(key) ?? { tokens: pair.burst, at: now };
			b.tokens = Math.min(pair.burst, b.tokens + (now - b.at) / pair.intervalMs);
			b.at = now;
			this.pairBuckets.set(key, b);
			if (b.tokens < 1) return this.fail(c, 400, graphError(131056));
			b.tokens -= 1;
		}
		if (global) this.sendTimes.push(now);

		const id = wamid(v.waId ?? '0', 'out');
		this.remember(this.outboundIds, id);
		const sent: SentRecord = {
			id,
			to: p.to ?? p.recipient,
			waId: v.waId,
			...(v.userId ? { userId: v.userId } : {}),
			type: v.type,
			body: p,
			headers: c.req.headers,
			inWindow,
			version: c.version,
			at: new Date(now),
		};
		this.log.record('sent', sent);
		this.emitStatusesFor(sent, blocked);
		return this.ok(c, {
			messaging_product: 'whatsapp',
			contacts: [v.waId ? { input: v.input, wa_id: v.waId } : { input: v.input, user_id: v.userId }],
			messages: [{ id, ...(v.type === 'template' ? { message_status: 'accepted' } : {}) }],
		});
	}

	private markRead(c: Ctx): Reply {
		const p = c.params;
		if (p.status !== 'read') return this.fail(c, 400, paramError(`Param status must be one of {READ} - got "${String(p.status)}".`));
		const messageId = p.message_id;
		if (typeof messageId !== 'string' || !messageId) return this.fail(c, 400, paramError('The parameter message_id is required.'));
		const typing = p.typing_indicator;
		if (typing !== undefined && !(isObj(typing) && typing.type === 'text'))
			return this.fail(c, 400, graphError(131009, { details: "Param typing_indicator['type'] must be one of {TEXT}." }));
		if (this.outboundIds.has(messageId)) return this.fail(c, 400, markReadError('outgoing', messageId));
		if ((this.options.strictReadIds ?? true) && !this.inboundIds.has(messageId)) return this.fail(c, 400, markReadError('unknown', messageId));
		const rec: ReadRecord = { messageId, typing: typing !== undefined, body: p, at: new Date(this.now()) };
		this.log.record('readReceipts', rec);
		if (rec.typing) this.log.record('typingIndicators', rec);
		return this.ok(c, { success: true });
	}

	/** Status webhooks after a send: 131047 `failed` when outside the window, else sent→delivered→read if enabled. */
	private emitStatusesFor(sent: SentRecord, blocked: boolean): void {
		const cfg = this.options.emitStatuses;
		if (!this.target || (!blocked && !cfg)) return;
		const o = typeof cfg === 'object' ? cfg : {};
		// A send to a business-scoped user id: statuses name it in `recipient_user_id`, without `recipient_id` (reference §1.4).
		const recipient = sent.waId ?? String(sent.to);
		const byUserId = sent.waId === undefined && sent.userId !== undefined;
		const addressed = (st: WebhookStatus): WebhookStatus => {
			if (!byUserId) return st;
			const { recipient_id: _omitted, ...rest } = st;
			return { ...rest, recipient_user_id: sent.userId } as WebhookStatus;
		};
		const pricing = sent.type === 'template' ? templatePricing() : SERVICE_PRICING;
		const conversation = versionMajor(this.options.version ?? DEFAULTS.version) < 24 ? conversationObject(sent.type === 'template' ? 'utility' : 'service') : undefined;
		const biz = typeof sent.body.biz_opaque_callback_data === 'string' ? sent.body.biz_opaque_callback_data : undefined;
		const steps: WebhookStatus['status'][] = blocked
			? ['failed']
			: sent.type === 'reaction'
				? ['sent']
				: ['sent', ...(o.delivered === false ? [] : ['delivered' as const]), ...(o.read === false ? [] : ['read' as const])];
		const audio = sent.body.audio;
		if (!blocked && o.played !== false && o.read !== false && isObj(audio) && audio.voice === true) steps.push('played');
		this.work.track(
			(async () => {
				for (const step of steps) {
					await this.work.sleep(o.intervalMs ?? 0);
					if (this.closed || !this.target) return;
					const at = new Date(this.now());
					const s = addressed(
						step === 'failed'
							? failedStatus(sent.id, recipient, 131047, { timestamp: at, bizOpaqueCallbackData: biz })
							: status(sent.id, recipient, step, {
									timestamp: at,
									bizOpaqueCallbackData: biz,
									...(step === 'sent' || step === 'delivered' ? { pricing, conversation } : {}),
								}),
					);
					const payload = envelope(this.account, [statusesChange(this.account, [s])]);
					const bytes = webhookBytes(payload);
					const result = await this.post(this.target, bytes, this.signatureHeader(bytes, 'valid'));
					this.log.record('webhooks', { kind: 'status', url: this.target, payload, bytes, statuses: [s], results: [result], at });
				}
			})(),
		);
	}

	// ---------------------------------------------------------------- media endpoints

	private upload(c: Ctx): Reply {
		const p = c.params;
		if (p.messaging_product !== 'whatsapp') return this.fail(c, 400, paramError('The parameter messaging_product is required.'));
		const file = c.files.find((f) => f.name === 'file');
		if (!file) return this.fail(c, 400, paramError('The parameter file is required.'));
		const mimeType = (typeof p.type === 'string' && p.type) || file.contentType || 'application/octet-stream';
		const baseType = mimeType.split(';')[0].trim().toLowerCase();
		const limit = MEDIA_LIMITS.find((l) => l.types.includes(baseType));
		if (!limit) {
			const all = MEDIA_LIMITS.flatMap((l) => l.types).join(', ');
			return this.fail(c, 400, graphError(131053, { details: `Param file must be a file with one of the following types: ${all}. Received file of type '${baseType}'.` }));
		}
		if (file.data.length > limit.maxBytes)
			return this.fail(c, 400, graphError(131053, { details: `File size ${file.data.length} exceeds the maximum of ${limit.maxBytes} bytes for ${limit.kind}.` }));
		const stored = this.storeMedia(file.data, mimeType, file.filename);
		this.log.record('uploads', { id: stored.id, mimeType, filename: file.filename, size: file.data.length, at: new Date(this.now()) });
		return this.ok(c, { id: stored.id });
	}

	/** GET <media url>: Bearer required, 404 when expired/invalid/deleted; bytes with Content-Type/Length/Disposition. */
	private download(c: Ctx): Reply {
		const notFound = (): Reply => ({ status: 404, body: 'Not Found', headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
		if (!c.token) {
			if ((this.options.mediaDownloadWithoutToken ?? 401) === 404) return notFound();
			return this.fail(c, 401, tokenError(false));
		}
		if (c.token !== this.options.accessToken || this.tokenExpired) return this.fail(c, 401, tokenError(this.tokenExpired, new Date(this.now())));
		const { mid = '', ext = '', hash = '' } = c.query;
		const md = this.media.get(mid);
		if (!md || hash !== this.urlHash(mid, Number(ext)) || this.now() >= Number(ext) * 1000) return notFound();
		const filename = md.filename ?? `whatsapp.${EXT[md.mimeType.split(';')[0].trim()] ?? 'bin'}`;
		return {
			status: 200,
			body: md.bytes,
			headers: {
				'Content-Type': md.mimeType,
				'Content-Disposition': `inline;filename=${filename}`,
				'Cache-Control': 'max-age=1209600, no-transform',
				'Access-Control-Allow-Origin': '*',
			},
		};
	}

	private storeMedia(bytes: Buffer, mimeType: string, filename?: string, id?: string): StoredMedia {
		const digest = createHash('sha256').update(bytes).digest();
		const md: StoredMedia = {
			id: id ?? numericId(16),
			bytes,
			mimeType,
			filename,
			sha256Hex: digest.toString('hex'),
			sha256Base64: digest.toString('base64'),
		};
		this.media.set(md.id, md);
		return md;
	}
	private urlHash(id: string, ext: number): string {
		return 'AT' + createHmac('sha256', this.urlKey).update(`${id}.${ext}`).digest('base64url').slice(0, 40);
	}

	// ---------------------------------------------------------------- subscriptions

	/** POST /{waba}/subscribed_apps (what activation calls); an `override_callback_uri` is verified first and becomes the webhook target. */
	private async subscribeApp(c: Ctx): Promise<Reply> {
		const override = typeof c.params.override_callback_uri === 'string' ? c.params.override_callback_uri : undefined;
		if (override) {
			const failure = await this.verifyCallback(c, override, c.params.verify_token);
			if (failure) return failure;
			this.target = override;
		}
		this.log.record('subscriptions', { kind: 'subscribed_apps', method: 'POST', params: c.params, callbackUrl: override, at: new Date(this.now()) });
		return this.ok(c, { success: true });
	}

	/** Meta verifies a callback URL before accepting it; failure → 400 (#2200). */
	private async verifyCallback(c: Ctx, url: string, verifyToken: unknown): Promise<Reply | undefined> {
		if (typeof verifyToken !== 'string' || !verifyToken) return this.fail(c, 400, paramError('The parameter verify_token is required.'));
		const r = await this.verifyWebhook(url, { verifyToken }).catch((e: unknown) => ({ status: 0, body: String(e), ok: false }));
		if (r.ok) return undefined;
		const why = r.status
			? `HTTP Status Code = ${r.status}; HTTP Message = ${http.STATUS_CODES[r.status] ?? 'Unknown'}`
			: 'curl_errno = 7; curl_error = Failed to connect';
		const reason = r.status === 200 ? 'The response does not match the challenge' : why;
		const message = `(#2200) Callback verification failed with the following errors: ${reason}`;
		return this.fail(c, 400, { error: { message, type: 'OAuthException', code: 2200, fbtrace_id: fbtraceId() } });
	}

	// ---------------------------------------------------------------- objects

	private phoneNumberObject(): JsonObject {
		const o = this.options;
		return {
			verified_name: o.verifiedName ?? 'WhatsAuto Test',
			code_verification_status: 'VERIFIED',
			display_phone_number: formatDisplayNumber(o.displayPhoneNumber),
			quality_rating: 'GREEN',
			platform_type: 'CLOUD_API',
			throughput: { level: 'STANDARD' },
			id: o.phoneNumberId,
			name_status: 'APPROVED',
			status: 'CONNECTED',
			account_mode: 'LIVE',
			is_official_business_account: false,
			messaging_limit_tier: 'TIER_250',
			whatsapp_business_manager_messaging_limit: 'TIER_250',
		};
	}
	/** Graph `?fields=` selection (id always included); unknown field → `(#100) Tried accessing nonexisting field …`. */
	private fields(c: Ctx, all: JsonObject, defaults: string[], nodeType: string): Reply {
		const requested = c.query.fields ? c.query.fields.split(',').map((f) => f.trim()).filter(Boolean) : defaults;
		const unknown = requested.find((f) => !(f in all));
		if (unknown) return this.fail(c, 400, paramError(`Tried accessing nonexisting field (${unknown}) on node type (${nodeType})`));
		const out: JsonObject = {};
		for (const f of requested) out[f] = all[f];
		out.id = all.id;
		return this.ok(c, out);
	}

	// ---------------------------------------------------------------- auth, replies, injection

	private checkAuth(c: Ctx): Reply | undefined {
		if (!c.token || c.token !== this.options.accessToken) return this.fail(c, 401, tokenError(false));
		if (this.tokenExpired) return this.fail(c, 401, tokenError(true, new Date(this.now())));
		return undefined;
	}

	private headers(c: Ctx): Record<string, string> {
		const h: Record<string, string> = {
			'Content-Type': 'application/json; charset=UTF-8',
			'facebook-api-version': c.served,
			'x-fb-trace-id': randomBytes(8).toString('base64url').slice(0, 11),
			'x-fb-request-id': fbtraceId(),
			'x-fb-rev': '1023456789',
			'x-business-use-case-usage': this.usage(1),
			'Access-Control-Allow-Origin': '*',
			'Cache-Control': 'private, no-cache, no-store, must-revalidate',
			Pragma: 'no-cache',
			Expires: 'Sat, 01 Jan 2000 00:00:00 GMT',
			'Strict-Transport-Security': 'max-age=15552000; preload',
			'X-Content-Type-Options': 'nosniff',
		};
		if (c.expired && c.version) h['x-ad-api-version-warning'] = `The call has been auto-upgraded to ${c.served} as ${c.version} will be deprecated.`;
		return h;
	}
	private usage(callCount: number, regainMinutes = 0): string {
		return JSON.stringify({
			[this.options.businessAccountId]: [{ type: 'whatsapp', call_count: callCount, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: regainMinutes }],
		});
	}
	private ok(c: Ctx, body: unknown): Reply {
		return { status: 200, body: graphJson(body), headers: this.headers(c) };
	}
	private fail(c: Ctx, statusCode: number, body: GraphErrorBody | object | string, extra: Record<string, string> = {}): Reply {
		const headers = this.headers(c);
		const err = isObj(body) && isObj(body.error) ? body.error : undefined;
		if (err) {
			const kind = err.code === 190 ? 'invalid_token' : 'invalid_request';
			headers['WWW-Authenticate'] = `OAuth "Facebook Platform" "${kind}" "${String(err.message).replace(/"/g, "'")}"`;
		}
		return { status: statusCode, body: typeof body === 'string' ? body : graphJson(body), headers: { ...headers, ...extra } };
	}

	private takeRule(c: Ctx): InjectRule | undefined {
		return this.rules.take(c.method, c.path, (r) => !r.when || r.when({ method: c.method, path: c.path, params: c.params }));
	}

	private injectedReply(c: Ctx, r: InjectRule): Reply | undefined {
		if (r.error === undefined && r.status === undefined && r.body === undefined) return undefined; // delay only
		let statusCode = r.status;
		let body: object | string | undefined = r.body;
		if (typeof r.error === 'number') {
			statusCode ??= META_ERRORS[r.error]?.http ?? 400;
			body ??= graphError(r.error);
		} else if (r.error) {
			const preset = PRESETS[r.error as keyof typeof PRESETS](c.method, c.segments[0] ?? '');
			statusCode ??= preset.status;
			body ??= preset.body;
		}
		const extra: Record<string, string> = { ...r.headers };
		if (r.retryAfterSeconds !== undefined) {
			extra['Retry-After'] = String(r.retryAfterSeconds);
			extra['x-business-use-case-usage'] = this.usage(100, Math.ceil(r.retryAfterSeconds / 60));
		}
		if ((statusCode ?? 200) < 400)
			return { status: statusCode ?? 200, body: typeof body === 'string' ? body : graphJson(body ?? {}), headers: { ...this.headers(c), ...extra } };
		return this.fail(c, statusCode ?? 400, body ?? graphError(100), extra);
	}

	// ---------------------------------------------------------------- webhook plumbing

	private toEnvelope(input: Exclude<DeliverInput, Buffer | string>, names?: Record<string, string> | string, usernames?: Record<string, string>): WebhookEnvelope {
		const list = Array.isArray(input) ? input : [input];
		if (!Array.isArray(input) && 'object' in input) return input as WebhookEnvelope;
		if (list.length && 'field' in list[0]) return envelope(this.account, list as WebhookChange[]);
		return envelope(this.account, [messagesChange(this.account, list as WebhookMessage[], { names, usernames })]);
	}

	private signatureHeader(bytes: Buffer, mode: SignatureMode, payload?: unknown): Record<string, string> {
		const secret = this.options.appSecret;
		const valid = signWebhook(secret, bytes);
		const base = { 'Content-Type': 'application/json', 'User-Agent': 'facebookexternalua', Accept: '*/*' };
		switch (mode) {
			case 'missing':
				return base;
			case 'wrong':
				return { ...base, 'X-Hub-Signature-256': signWebhook(`${secret}-wrong`, bytes) };
			case 'malformed':
				return { ...base, 'X-Hub-Signature-256': valid.slice(0, -1) };
			case 'unprefixed':
				return { ...base, 'X-Hub-Signature-256': valid.slice('sha256='.length) };
			case 'reserialised':
				return { ...base, 'X-Hub-Signature-256': signWebhook(secret, payload === undefined ? bytes : JSON.stringify(payload)) };
			default:
				return { ...base, 'X-Hub-Signature-256': valid };
		}
	}

	private post(url: string, bytes: Buffer, headers: Record<string, string>): Promise<DeliveryResult> {
		return this.request(url, 'POST', bytes, headers);
	}

	private request(url: string, method: string, body: Buffer | undefined, headers: Record<string, string>): Promise<DeliveryResult> {
		const started = Date.now();
		const u = new URL(url);
		const lib = u.protocol === 'https:' ? https : http;
		const p = new Promise<DeliveryResult>((resolve) => {
			const done = (r: Omit<DeliveryResult, 'ms'>) => resolve({ ...r, ms: Date.now() - started });
			const req = lib.request(
				u,
				{
					method,
					agent: u.protocol === 'https:' ? this.tlsAgent : this.agent,
					headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
					timeout: this.options.webhookTimeoutMs ?? DEFAULTS.webhookTimeoutMs,
				},
				(res) => {
					const chunks: Buffer[] = [];
					let size = 0;
					res.on('data', (d: Buffer) => {
						size += d.length;
						if (size <= 1 << 20) chunks.push(d); // keep at most 1 MiB of a response
					});
					res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
					res.on('error', (e) => done({ status: 0, body: '', headers: {}, error: e.message }));
				},
			);
			req.on('timeout', () => req.destroy(new Error('webhook timeout')));
			req.on('error', (e) => done({ status: 0, body: '', headers: {}, error: e.message }));
			req.end(body);
		});
		return this.work.track(p);
	}

	// ---------------------------------------------------------------- small helpers

	private remember(set: Set<string>, id: string): void {
		set.add(id);
		if (set.size > 10 * (this.options.maxRecords ?? DEFAULTS.maxRecords)) set.delete(set.values().next().value as string);
	}
}

// ================================================================ module helpers

function statusesOf(payload: unknown): WebhookStatus[] {
	const env = payload as WebhookEnvelope | undefined;
	if (!env || !Array.isArray(env.entry)) return [];
	return env.entry.flatMap((e) => (e.changes ?? []).flatMap((c) => (c.value?.statuses as WebhookStatus[] | undefined) ?? []));
}

function tryParse(bytes: Buffer): WebhookEnvelope | undefined {
	try {
		return JSON.parse(bytes.toString('utf8')) as WebhookEnvelope;
	} catch {
		return undefined;
	}
}

function versionMajor(v: string): number {
	return Number(/^v(\d+)/.exec(v)?.[1] ?? 0);
}

/** '15550783881' → '+1 555-078-3881' (NANP); other numbers → '+<digits>'. */
export function formatDisplayNumber(digits: string): string {
	const d = digits.replace(/\D/g, '');
	const m = /^1(\d{3})(\d{3})(\d{4})$/.exec(d);
	return m ? `+1 ${m[1]}-${m[2]}-${m[3]}` : `+${d}`;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (d: Buffer) => {
			size += d.length;
			if (size > limit) {
				req.removeAllListeners('data');
				req.resume();
				reject(new Error('body too large'));
			} else chunks.push(d);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
		req.on('close', () => reject(new Error('request closed before its body was read')));
	});
}

/** Graph params: query string + JSON, urlencoded (JSON-looking values parsed) or multipart body. */
function parseParams(contentType: string | undefined, raw: Buffer, query: Record<string, string>): { params: Params; files: MultipartPart[] } {
	const params: Params = { ...query };
	delete params.access_token;
	let files: MultipartPart[] = [];
	const ct = (contentType ?? '').toLowerCase();
	const looseJson = (v: string): unknown => {
		if (!/^\s*[[{]/.test(v)) return v;
		try {
			return JSON.parse(v);
		} catch {
			return v;
		}
	};
	if (!raw.length) return { params, files };
	if (ct.startsWith('multipart/form-data')) {
		const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
		if (boundary) {
			const parts = parseMultipart(raw, boundary);
			files = parts.filter((p) => p.filename !== undefined);
			for (const p of parts) if (p.filename === undefined) params[p.name] = looseJson(p.data.toString('utf8'));
		}
	} else if (ct.startsWith('application/x-www-form-urlencoded')) {
		for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params[k] = looseJson(v);
	} else {
		try {
			const body: unknown = JSON.parse(raw.toString('utf8'));
			if (isObj(body)) Object.assign(params, body);
		} catch {
			/* Graph treats an unparsable body as no parameters */
		}
	}
	return { params, files };
}
