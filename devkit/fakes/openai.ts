/**
 * A faithful local fake of the OpenAI API for tests of the GPT-4 auto-reply node (which uses the official `openai` SDK).
 *
 *   const ai = await startFakeOpenAi({ apiKey: 'sk-test-…', responder: (r) => `Hi! (${r.texts.length} texts)` });
 *   const client = new OpenAI({ apiKey: 'sk-test-…', baseURL: ai.baseUrl, maxRetries: 0 });   // ai.baseUrl ends in /v1
 *   ai.inject({ error: 'rate_limit', retryAfterSeconds: 1 });      // next matching request → 429 + retry-after
 *   expect(ai.chatRequests[0].images[0].mimeType).toBe('image/jpeg');
 *   expect(ai.allReceivedText()).not.toContain('graph.facebook.com');
 *   await ai.close();
 *
 * Serves (all under /v1, Bearer auth on every endpoint) what the package calls: the credential test and the model list
 * (GET /models), the reply (POST /chat/completions) and voice notes (POST /audio/transcriptions):
 *   GET  /models
 *   POST /chat/completions      — validated like the real API (roles, content parts, data URLs, params, model, context
 *                                 window, max output), JSON or SSE (`stream: true`), usage with simulated prompt caching
 *   POST /audio/transcriptions  — multipart; file format / size / model / response_format / language checks
 * Simulates: per-model RPM/TPM limits with x-ratelimit-* headers, OpenAI-Organization / OpenAI-Project checks, fault
 * injection (`inject`: 429 / 500 / 502 / 503 / timeouts / resets / slow answers). Everything is bounded (records,
 * bodies, prompt cache) and `close()` destroys every socket and timer.
 *
 * Wire formats follow the openai-node v6 SDK types, the public OpenAPI spec and real error bodies; token counts are a
 * deterministic approximation (≈ 4 characters per token, +3 per message, +3 reply priming; images GPT-4o tile formula).
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

import { closeServer, createFakeServer, FakeServerBase, listenOn } from './fake-server-base';
import {
	aboveMax,
	apiError,
	AUDIO_EXTENSIONS,
	audioCorrupted,
	audioNotSupported,
	BAD_GATEWAY_HTML,
	badJson,
	belowMin,
	contentTooLarge,
	contextLengthExceeded,
	emptyArray,
	formatDuration,
	imageNotAllowedForRole,
	insufficientQuota,
	invalidApiKey,
	invalidAudioFormat,
	invalidFileData,
	invalidImageDataUrl,
	invalidLanguage,
	invalidType,
	invalidUrl,
	invalidValue,
	mismatchedOrganization,
	mismatchedProject,
	missingApiKey,
	missingModel,
	missingParam,
	modelNotFound,
	notChatModel,
	notMultipart,
	overloaded,
	rateLimitReached,
	requestTooLarge,
	responseFormatNotCompatible,
	serverError,
	unparsableFile,
	unrecognizedArgument,
	unsupportedImage,
	unsupportedRegion,
	type OpenAiErrorBody,
	type RateLimitKind,
} from './openai-errors';
import {
	decodeBase64Strict,
	estimateAudioSeconds,
	imageTokens,
	multipartBoundary,
	parseDataUrl,
	parseMultipart,
	sha256,
	sniffAudio,
	sniffImage,
	sniffPdf,
	type MultipartPart,
} from './openai-wire';

export { dataUrl, sampleAudio, samplePdf, samplePng, sha256 } from './openai-wire';

// ================================================================ public types

export interface ResponderResult {
	/** Assistant text; null with `refusal` set for a refusal. */
	content?: string | null;
	refusal?: string;
	/** Default 'stop' ('length' is applied automatically when max_(completion_)tokens truncates the content). */
	finishReason?: 'stop' | 'length' | 'content_filter' | 'tool_calls';
	/** Override the computed usage numbers. */
	usage?: { promptTokens?: number; completionTokens?: number; cachedTokens?: number };
}
/** Produces the assistant reply. May be async; a throw becomes a 500 server_error (and is kept in `responderErrors`). */
export type Responder = (req: ChatRequestRecord) => string | ResponderResult | Promise<string | ResponderResult>;

export interface FakeOpenAiOptions {
	/** Accepted API key(s) (`Authorization: Bearer …`). */
	apiKey: string | string[];
	/** Model ids served (aliases; their dated snapshots are served too). Default: DEFAULT_MODELS. */
	models?: string[];
	responder?: Responder;
	/** When set, an `OpenAI-Organization` header must equal it (else 401 mismatched_organization). Echoed in `openai-organization`. */
	organization?: string;
	/** When set, an `OpenAI-Project` header must equal it (else 401 mismatched_project). */
	project?: string;
	/** Context window in tokens, per model id (prefix match on aliases) or for all. Defaults: gpt-4o* 128 000, gpt-4.1* 1 047 576. */
	contextWindow?: number | Record<string, number>;
	/** Per-model limits over a sliding minute (reported in x-ratelimit-*, enforced with real 429s). Default 10 000 RPM / 2 000 000 TPM. */
	rateLimits?: { requestsPerMinute?: number; tokensPerMinute?: number };
	/** Report cached_tokens for repeated ≥1024-token prompt prefixes (128-token blocks). Default true. */
	promptCaching?: boolean;
	/** Value of `openai-processing-ms` (no real delay — use inject({delayMs})). Default: derived from the token count. */
	processingMs?: number;
	port?: number; // default 0 (random)
	host?: string; // default 127.0.0.1
	/** Injectable clock (ms since epoch) for `created`, rate-limit windows; `advanceClock()` adds to it. */
	now?: () => number;
	maxRecords?: number; // per record list, default 1 000
	maxBodyBytes?: number; // default 64 MiB (the audio endpoint's own 25 MiB limit applies first)
	/** Cap on the bytes kept for allReceivedText(). Default 256 MiB; beyond it allReceivedText() throws rather than lie. */
	maxReceivedBytes?: number;
}

export interface RequestRecord {
	/** The `x-request-id` we answered with (`req_…`). */
	requestId: string;
	method: string;
	path: string;
	query: Record<string, string>;
	headers: IncomingHttpHeaders;
	/** Parsed JSON, multipart fields (file parts as `{filename, contentType, size}`), or undefined. */
	body: unknown;
	bodyBytes: number;
	status: number; // 0 = no response (timeout / reset / client gave up)
	injected?: string;
	/** The client closed the connection before an answer. */
	aborted?: boolean;
	at: Date;
	ms?: number;
}

export interface ImagePartRecord {
	message: number;
	part: number;
	detail: string;
	/** 'data' = inline data URL (bytes decoded), 'remote' = http(s) URL the API would have fetched. */
	kind: 'data' | 'remote';
	url?: string;
	mimeType?: string;
	format?: string;
	bytes?: Buffer;
	sha256?: string;
	width?: number;
	height?: number;
	tokens: number;
}
export interface FilePartRecord {
	message: number;
	part: number;
	filename?: string;
	fileId?: string;
	mimeType?: string;
	bytes?: Buffer;
	sha256?: string;
	pages?: number;
	tokens: number;
}
export interface AudioPartRecord {
	message: number;
	part: number;
	format: string;
	bytes: Buffer;
	sha256: string;
	tokens: number;
}
export interface ChatMessageRecord {
	role: string;
	name?: string;
	/** All text / refusal parts of the message joined with '\n'. */
	text: string;
	content: unknown;
}
export interface ChatRequestRecord {
	/** The completion id (`chatcmpl-…`) if one was produced. */
	id?: string;
	requestId: string;
	at: Date;
	headers: IncomingHttpHeaders;
	organization?: string;
	project?: string;
	body: Record<string, unknown>;
	model: string;
	messages: ChatMessageRecord[];
	/** Every text part (string contents count as one part), in order. */
	texts: string[];
	images: ImagePartRecord[];
	files: FilePartRecord[];
	audio: AudioPartRecord[];
	/** http(s) URLs found in image_url / file parts (the real API would fetch these). */
	remoteUrls: string[];
	stream: boolean;
	n: number;
	store?: boolean;
	temperature?: number;
	topP?: number;
	maxTokens?: number;
	maxCompletionTokens?: number;
	tools?: unknown[];
	toolChoice?: unknown;
	functions?: unknown[];
	responseFormat?: unknown;
	user?: string;
	safetyIdentifier?: string;
	promptCacheKey?: string;
	metadata?: unknown;
	serviceTier?: string;
	seed?: number;
	promptTokens: number;
	status: number; // 0 while in progress
	error?: OpenAiErrorBody['error'];
	response?: ChatCompletionJson;
	usage?: ChatUsage;
}
export interface ChatUsage {
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
	prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
	completion_tokens_details: { reasoning_tokens: number; audio_tokens: number; accepted_prediction_tokens: number; rejected_prediction_tokens: number };
}
export interface ChatCompletionJson {
	id: string;
	object: 'chat.completion';
	created: number;
	model: string;
	choices: {
		index: number;
		message: { role: 'assistant'; content: string | null; refusal: string | null; annotations: unknown[] };
		logprobs: null;
		finish_reason: string;
	}[];
	usage: ChatUsage;
	service_tier: string;
	system_fingerprint: string;
}

export interface TranscriptionRequestRecord {
	requestId: string;
	at: Date;
	headers: IncomingHttpHeaders;
	/** Non-file form fields (`include[]` etc. collected as arrays). */
	fields: Record<string, string | string[]>;
	model?: string;
	filename?: string;
	contentType?: string;
	/** The exact file bytes received. */
	bytes: Buffer;
	sha256: string;
	language?: string;
	prompt?: string;
	responseFormat: string;
	temperature?: number;
	durationSeconds: number;
	text?: string;
	status: number;
	error?: OpenAiErrorBody['error'];
}

export interface Records {
	requests: RequestRecord;
	chatRequests: ChatRequestRecord;
	transcriptionRequests: TranscriptionRequestRecord;
}

export type InjectError =
	| 'rate_limit' // 429 rate_limit_exceeded (requests per min); honours retryAfterSeconds / retryAfterMs
	| 'tokens_rate_limit' // 429 rate_limit_exceeded (tokens per min)
	| 'insufficient_quota' // 429 insufficient_quota
	| 'server_error' // 500
	| 'bad_gateway' // 502, Cloudflare HTML body
	| 'overloaded' // 503 model overloaded
	| 'invalid_api_key' // 401
	| 'unsupported_region' // 403
	| 'model_not_found' // 404
	| 'context_length' // 400 context_length_exceeded
	| 'timeout' // never answers; the connection stays open until the client gives up or close()
	| 'reset' // TCP reset, no response
	| 'truncated'; // 200 headers, half a body, then the socket is destroyed

export interface InjectRule {
	/** Substring of the path (e.g. '/chat/completions') or a RegExp. Default: any. */
	path?: string | RegExp;
	method?: string;
	/** Only requests for this model (JSON `model` or multipart `model` field). */
	model?: string;
	when?: (req: { method: string; path: string; body: unknown }) => boolean;
	/** Matching requests this applies to. Default 1; Infinity for all. */
	times?: number;
	/** A preset. Omit (with delayMs) for a slow but normal answer. */
	error?: InjectError;
	/** Custom status / body / headers (override the preset's). */
	status?: number;
	body?: object | string;
	headers?: Record<string, string>;
	/** Adds `retry-after` (seconds, may be fractional) and `retry-after-ms`. */
	retryAfterSeconds?: number;
	/** Adds `retry-after-ms` only (the SDK prefers it) plus a rounded-up `retry-after`. */
	retryAfterMs?: number;
	/** Wait this long before answering (or before the injected error). */
	delayMs?: number;
}
export type TranscriptMatcher = string | Buffer | ((req: TranscriptionRequestRecord) => boolean);
export interface TranscriptSpec {
	text: string;
	/** ISO-639-1 code, reported (as a name) in verbose_json. Default: the request's `language` or 'en'. */
	language?: string;
	durationSeconds?: number;
}

const DEFAULT_MODELS = [
	'gpt-4o',
	'gpt-4o-mini',
	'gpt-4.1',
	'gpt-4.1-mini',
	'whisper-1',
	'gpt-4o-transcribe',
	'gpt-4o-mini-transcribe',
	'omni-moderation-latest',
];

/** What the API reports as `model` for an alias (responses name the dated snapshot). */
const MODEL_SNAPSHOTS: Record<string, string> = {
	'gpt-4o': 'gpt-4o-2024-08-06',
	'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
	'gpt-4.1': 'gpt-4.1-2025-04-14',
	'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
	'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
	'omni-moderation-latest': 'omni-moderation-2024-09-26',
};
const MODEL_META: Record<string, { created: number; owned_by: string }> = {
	'gpt-4o': { created: 1715367049, owned_by: 'system' },
	'gpt-4o-2024-08-06': { created: 1722814719, owned_by: 'system' },
	'gpt-4o-mini': { created: 1721172741, owned_by: 'system' },
	'gpt-4o-mini-2024-07-18': { created: 1721172717, owned_by: 'system' },
	'gpt-4.1': { created: 1744316542, owned_by: 'system' },
	'gpt-4.1-2025-04-14': { created: 1744315746, owned_by: 'system' },
	'gpt-4.1-mini': { created: 1744318173, owned_by: 'system' },
	'gpt-4.1-mini-2025-04-14': { created: 1744317547, owned_by: 'system' },
	'whisper-1': { created: 1677532384, owned_by: 'openai-internal' },
	'gpt-4o-transcribe': { created: 1742068463, owned_by: 'system' },
	'gpt-4o-mini-transcribe': { created: 1742068596, owned_by: 'system' },
	'omni-moderation-latest': { created: 1731689265, owned_by: 'system' },
	'omni-moderation-2024-09-26': { created: 1732734466, owned_by: 'system' },
};
const TRANSCRIBE_MODELS = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'];
const isTranscribeModel = (m: string) => TRANSCRIBE_MODELS.includes(m) || /transcribe|whisper/.test(m);
const isModerationModel = (m: string) => /moderation/.test(m);
const isChatModel = (m: string) => !isTranscribeModel(m) && !isModerationModel(m) && !/^(tts|dall-e|text-embedding|gpt-image)/.test(m);

const CHAT_PARAMS = new Set([
	'messages', 'model', 'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs', 'max_completion_tokens',
	'max_tokens', 'metadata', 'modalities', 'n', 'parallel_tool_calls', 'prediction', 'presence_penalty', 'prompt_cache_key',
	'prompt_cache_retention', 'reasoning_effort', 'response_format', 'safety_identifier', 'seed', 'service_tier', 'stop', 'store',
	'stream', 'stream_options', 'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user', 'verbosity', 'web_search_options',
]);
const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];
const ALL_PART_TYPES = ['text', 'image_url', 'input_audio', 'refusal', 'audio', 'file'];
const PART_TYPES_BY_ROLE: Record<string, string[]> = {
	user: ['text', 'image_url', 'input_audio', 'file'],
	system: ['text'],
	developer: ['text'],
	tool: ['text'],
	assistant: ['text', 'refusal'],
	function: ['text'],
};
const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp'];
const TRANSCRIPTION_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'];
const AUDIO_UPLOAD_LIMIT = 26_214_400; // 25 MiB
const LANGUAGE_NAMES: Record<string, string> = {
	en: 'english', de: 'german', fr: 'french', es: 'spanish', pt: 'portuguese', it: 'italian', nl: 'dutch', pl: 'polish',
	tr: 'turkish', ru: 'russian', uk: 'ukrainian', ar: 'arabic', hi: 'hindi', zh: 'chinese', ja: 'japanese', ko: 'korean',
};

const DEFAULTS = {
	maxRecords: 1_000,
	maxBodyBytes: 64 * 1024 * 1024,
	maxReceivedBytes: 256 * 1024 * 1024,
	requestsPerMinute: 10_000,
	tokensPerMinute: 2_000_000,
	promptCacheBlocks: 200_000,
};
const BLOCK = 128;

// ================================================================ internals

interface Ctx {
	req: IncomingMessage;
	res: ServerResponse;
	rec: RequestRecord;
	method: string;
	path: string; // without /v1
	raw: Buffer;
	json?: unknown;
	jsonError?: boolean;
	parts?: MultipartPart[];
	started: number;
}
interface Reply {
	status: number;
	body: string | Buffer;
	headers: Record<string, string>;
	/** SSE events (each a JSON string or '[DONE]') instead of `body`. */
	events?: string[];
}
type Failure = { status: number; body: OpenAiErrorBody };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const ceil4 = (s: string) => Math.ceil(s.length / 4);
const hex = (n: number) => randomBytes(n).toString('hex');
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const base62 = (n: number) => Array.from(randomBytes(n), (b) => BASE62[b % 62]).join('');
/** Append without spreading (huge prompts would overflow the argument limit). */
const pushAll = <T>(into: T[], from: T[]): T[] => {
	for (const x of from) into.push(x);
	return into;
};
/** 4-character chunks — the fake's "tokens". */
const chunks = (s: string): string[] => {
	const out: string[] = [];
	for (let i = 0; i < s.length; i += 4) out.push(s.slice(i, i + 4));
	return out;
};

/** Start a fake on 127.0.0.1 (random port by default). */
export async function startFakeOpenAi(options: FakeOpenAiOptions): Promise<FakeOpenAi> {
	const ai = new FakeOpenAi(options);
	await ai.listen();
	return ai;
}

export class FakeOpenAi extends FakeServerBase<Records, InjectRule> {
	/** `http://127.0.0.1:PORT/v1` — the SDK's `baseURL`. */
	baseUrl = '';
	/** `http://127.0.0.1:PORT` */
	origin = '';
	readonly options: FakeOpenAiOptions;
	readonly models: string[];
	/** Org id reported in `openai-organization` (and in rate-limit messages). */
	readonly organization: string;
	readonly systemFingerprint = `fp_${hex(5)}`;

	// ---- records (capped at maxRecords, oldest dropped)
	readonly requests: RequestRecord[] = [];
	readonly chatRequests: ChatRequestRecord[] = [];
	readonly transcriptionRequests: TranscriptionRequestRecord[] = [];
	/** Errors thrown by the responder (each answered with a 500). */
	readonly responderErrors: unknown[] = [];

	private readonly server: http.Server;
	private readonly keys: string[];
	private responder: Responder | undefined;
	private transcripts: { matcher: TranscriptMatcher; spec: TranscriptSpec }[] = [];
	private readonly promptCache = new Map<string, true>();
	private readonly usageWindows = new Map<string, { at: number; tokens: number }[]>();
	private received: Buffer[] = [];
	private receivedBytes = 0;
	private droppedReceivedBytes = 0;
	private readonly hangs = new Set<() => void>();

	constructor(options: FakeOpenAiOptions) {
		super('fake openai');
		this.options = options;
		this.keys = Array.isArray(options.apiKey) ? options.apiKey : [options.apiKey];
		this.models = options.models ?? DEFAULT_MODELS;
		this.organization = options.organization ?? `org-${base62(24)}`;
		this.responder = options.responder;
		this.server = createFakeServer('fake openai', this.work, (req, res) => this.handle(req, res));
	}

	protected maxRecords(): number {
		return this.options.maxRecords ?? DEFAULTS.maxRecords;
	}

	/** @internal use startFakeOpenAi() */
	async listen(): Promise<void> {
		const { address, port } = await listenOn(this.server, this.options.port, this.options.host);
		this.origin = `http://${address}:${port}`;
		this.baseUrl = `${this.origin}/v1`;
	}

	/** Closes the server and every socket (hung requests included), cancels timers, waits for in-flight handlers. */
	async close(): Promise<void> {
		if (this.closed) return;
		this.work.close();
		for (const release of this.hangs) release();
		this.hangs.clear();
		const closing = closeServer(this.server);
		await this.work.drain();
		await closing;
	}

	// ---------------------------------------------------------------- configuration

	setResponder(responder: Responder | undefined): void {
		this.responder = responder;
	}
	/**
	 * What /audio/transcriptions returns for matching audio: by sha256 hex of the bytes, the exact bytes, or a predicate.
	 * Later calls take precedence. Default: `Transcript of a <N>-byte <ext> recording.`
	 */
	setTranscript(matcher: TranscriptMatcher, text: string | TranscriptSpec): void {
		this.transcripts.unshift({ matcher, spec: typeof text === 'string' ? { text } : text });
	}
	/** Forget records, injections, prompt cache and rate windows (transcripts and responder stay). */
	reset(): void {
		for (const list of [this.requests, this.chatRequests, this.transcriptionRequests, this.responderErrors]) list.length = 0;
		this.rules.clear();
		this.promptCache.clear();
		this.usageWindows.clear();
		this.received = [];
		this.receivedBytes = 0;
		this.droppedReceivedBytes = 0;
	}

	/**
	 * Every request body received so far, decoded as UTF-8 and joined with '\n' (optionally with the request line and
	 * headers). For privacy assertions: `expect(ai.allReceivedText()).not.toContain(metaToken)`. Throws if older bodies
	 * had to be dropped (maxReceivedBytes), so an assertion can never pass on incomplete data.
	 */
	allReceivedText(opts: { headers?: boolean } = {}): string {
		if (this.droppedReceivedBytes)
			throw new Error(`fake openai: ${this.droppedReceivedBytes} received bytes were dropped (maxReceivedBytes); allReceivedText() would be incomplete`);
		const bodies = this.received.map((b) => b.toString('utf8'));
		if (!opts.headers) return bodies.join('\n');
		return this.requests
			.map((r) => `${r.method} ${r.path}\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\n')}`)
			.concat(bodies)
			.join('\n');
	}

	// ================================================================ HTTP handling

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const started = Date.now();
		const url = new URL(req.url ?? '/', 'http://fake');
		const method = (req.method ?? 'GET').toUpperCase();
		const rec: RequestRecord = {
			requestId: `req_${hex(16)}`,
			method,
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			headers: req.headers,
			body: undefined,
			bodyBytes: 0,
			status: 0,
			at: new Date(this.now()),
		};
		this.log.record('requests', rec);
		res.once('close', () => {
			if (!res.writableFinished && rec.status === 0) {
				rec.aborted = true;
				this.log.emit('requests', rec);
			}
		});

		const limit = this.options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
		const { body: raw, size, overflow } = await readBody(req, limit);
		rec.bodyBytes = size;
		this.keepReceived(raw);
		this.droppedReceivedBytes += size - raw.length; // an over-limit body is not kept in full
		const ctx: Ctx = { req, res, rec, method, path: url.pathname.replace(/\/+$/, '').replace(/^\/v1(?=\/|$)/, '') || '/', raw, started };
		if (!url.pathname.startsWith('/v1/')) ctx.path = `!${url.pathname}`; // only /v1 is served
		this.parseBody(ctx);
		rec.body = describeBody(ctx);

		let reply: Reply | undefined;
		if (overflow) {
			reply = this.fail(ctx, 413, contentTooLarge(ctx.path === '/audio/transcriptions' ? AUDIO_UPLOAD_LIMIT : limit, size), { Connection: 'close' });
		}
		reply ??= this.checkAuth(ctx);
		if (!reply) {
			const rule = this.takeRule(ctx);
			if (rule) {
				rec.injected = rule.error ?? (rule.status || rule.body ? 'custom' : 'delay');
				this.log.emit('requests', rec);
				if (rule.delayMs) await this.work.sleep(rule.delayMs);
				if (this.closed || res.destroyed) return;
				if (rule.error === 'timeout') {
					await this.hang(res);
					return;
				}
				if (rule.error === 'reset') {
					req.socket.resetAndDestroy();
					return;
				}
				if (rule.error === 'truncated') {
					const body = JSON.stringify({ id: `chatcmpl-${base62(29)}`, object: 'chat.completion', choices: [] });
					rec.status = 200;
					res.writeHead(200, { ...this.headers(ctx), 'Content-Length': String(Buffer.byteLength(body)) });
					res.write(body.slice(0, Math.floor(body.length / 2)));
					await new Promise((r) => setImmediate(r));
					res.destroy();
					return;
				}
				reply = this.injectedReply(ctx, rule);
			}
		}
		reply ??= await this.route(ctx);
		for (const kind of ['chatRequests', 'transcriptionRequests'] as const) {
			const r = this[kind].findLast((x) => x.requestId === rec.requestId);
			if (r) this.log.emit(kind, r); // re-evaluate waitFor predicates now that status/response are set
		}
		if (this.closed || res.destroyed) return;
		rec.status = reply.status;
		rec.ms = Date.now() - started;
		this.log.emit('requests', rec);
		if (reply.events) {
			res.writeHead(reply.status, { ...reply.headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
			for (const e of reply.events) res.write(`data: ${e}\n\n`);
			res.end();
			return;
		}
		res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
		res.end(reply.body);
	}

	private parseBody(c: Ctx): void {
		if (!c.raw.length) return;
		const ct = c.req.headers['content-type'];
		const boundary = multipartBoundary(ct);
		if (boundary) {
			c.parts = parseMultipart(c.raw, boundary);
			return;
		}
		try {
			c.json = JSON.parse(c.raw.toString('utf8'));
		} catch {
			c.jsonError = true;
		}
	}

	private async route(c: Ctx): Promise<Reply> {
		const m = c.method;
		const p = c.path;
		if (p === '/models' && m === 'GET') return this.ok(c, { object: 'list', data: this.servedModels().map((id) => this.modelObject(id)) });
		if (p === '/chat/completions' && m === 'POST') return this.chat(c);
		if (p === '/audio/transcriptions' && m === 'POST') return this.transcribe(c);
		return this.fail(c, 404, invalidUrl(m, c.rec.path));
	}

	// ---------------------------------------------------------------- models

	private servedModels(): string[] {
		const out: string[] = [];
		for (const id of this.models) {
			out.push(id);
			const snap = MODEL_SNAPSHOTS[id];
			if (snap && !this.models.includes(snap)) out.push(snap);
		}
		return out;
	}
	private modelObject(id: string) {
		const meta = MODEL_META[id] ?? { created: 1_700_000_000, owned_by: 'system' };
		return { id, object: 'model', created: meta.created, owned_by: meta.owned_by };
	}
	private snapshotOf(model: string): string {
		return MODEL_SNAPSHOTS[model] ?? model;
	}
	private contextWindow(model: string): number {
		const cw = this.options.contextWindow;
		if (typeof cw === 'number') return cw;
		const alias = Object.keys(MODEL_SNAPSHOTS).find((a) => MODEL_SNAPSHOTS[a] === model) ?? model;
		if (cw?.[model] !== undefined) return cw[model];
		if (cw?.[alias] !== undefined) return cw[alias];
		return alias.startsWith('gpt-4.1') ? 1_047_576 : 128_000;
	}
	private maxOutput(model: string): number {
		return model.startsWith('gpt-4.1') ? 32_768 : 16_384;
	}

	// ---------------------------------------------------------------- POST /chat/completions

	private async chat(c: Ctx): Promise<Reply> {
		if (c.jsonError || c.parts || !isObj(c.json)) return this.fail(c, 400, badJson());
		const b = c.json;
		const rec: ChatRequestRecord = {
			requestId: c.rec.requestId,
			at: c.rec.at,
			headers: c.req.headers,
			organization: header(c.req.headers, 'openai-organization'),
			project: header(c.req.headers, 'openai-project'),
			body: b,
			model: typeof b.model === 'string' ? b.model : '',
			messages: [],
			texts: [],
			images: [],
			files: [],
			audio: [],
			remoteUrls: [],
			stream: b.stream === true,
			n: typeof b.n === 'number' ? b.n : 1,
			store: typeof b.store === 'boolean' ? b.store : undefined,
			temperature: num(b.temperature),
			topP: num(b.top_p),
			maxTokens: num(b.max_tokens),
			maxCompletionTokens: num(b.max_completion_tokens),
			tools: Array.isArray(b.tools) ? b.tools : undefined,
			toolChoice: b.tool_choice,
			functions: Array.isArray(b.functions) ? b.functions : undefined,
			responseFormat: b.response_format,
			user: typeof b.user === 'string' ? b.user : undefined,
			safetyIdentifier: typeof b.safety_identifier === 'string' ? b.safety_identifier : undefined,
			promptCacheKey: typeof b.prompt_cache_key === 'string' ? b.prompt_cache_key : undefined,
			metadata: b.metadata,
			serviceTier: typeof b.service_tier === 'string' ? b.service_tier : undefined,
			seed: num(b.seed),
			promptTokens: 0,
			status: 0,
		};
		this.log.record('chatRequests', rec);
		const done = (r: Reply, err?: OpenAiErrorBody): Reply => {
			rec.status = r.status;
			if (err) rec.error = err.error;
			return r;
		};
		const failWith = (f: Failure, extra?: Record<string, string>) => done(this.fail(c, f.status, f.body, extra), f.body);

		const invalid = validateChatParams(b);
		if (invalid) return failWith(invalid);
		const tokens: string[] = [];
		const parsed = this.parseMessages(b.messages as unknown[], rec, tokens);
		if (parsed) return failWith(parsed);

		const model = rec.model;
		if (!this.servedModels().includes(model)) return failWith({ status: 404, body: modelNotFound(model) });
		if (!isChatModel(model)) return failWith({ status: 404, body: notChatModel() });
		const audioPart = rec.audio[0];
		if (audioPart && !/audio/.test(model))
			return failWith({ status: 400, body: audioNotSupported(`messages[${audioPart.message}].content[${audioPart.part}].type`, model) });

		// Prompt tokens: tools / response_format first, then messages; +3 for the reply priming.
		const preamble: string[] = [];
		if (rec.tools) pushAll(preamble, chunks(JSON.stringify(rec.tools)));
		if (isObj(b.response_format) && b.response_format.type === 'json_schema') pushAll(preamble, chunks(JSON.stringify(b.response_format)));
		const prompt = pushAll(preamble, tokens);
		rec.promptTokens = prompt.length + 3;

		const window = this.contextWindow(model);
		const maxOut = rec.maxCompletionTokens ?? rec.maxTokens;
		const maxOutParam = rec.maxCompletionTokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
		if (maxOut !== undefined && maxOut > this.maxOutput(model))
			return failWith({
				status: 400,
				body: apiError(
					`${maxOutParam} is too large: ${maxOut}. This model supports at most ${this.maxOutput(model)} completion tokens, whereas you provided ${maxOut}.`,
					'invalid_request_error',
					maxOutParam,
					'invalid_value',
				),
			});
		if (rec.promptTokens > window) return failWith({ status: 400, body: contextLengthExceeded(window, rec.promptTokens) });
		if (maxOut !== undefined && rec.promptTokens + maxOut > window)
			return failWith({
				status: 400,
				body: apiError(
					`This model's maximum context length is ${window} tokens. However, you requested ${rec.promptTokens + maxOut} tokens ` +
						`(${rec.promptTokens} in the messages, ${maxOut} in the completion). Please reduce the length of the messages or completion.`,
					'invalid_request_error',
					'messages',
					'context_length_exceeded',
				),
			});

		const limited = this.rateLimit(model, rec.promptTokens + (maxOut ?? 0));
		if (limited) return failWith(limited.failure, limited.headers);

		// ---- the reply
		let out: ResponderResult;
		try {
			const r = await (this.responder ?? defaultResponder)(rec);
			out = typeof r === 'string' ? { content: r } : r;
		} catch (e) {
			this.responderErrors.push(e);
			return failWith({ status: 500, body: serverError(c.rec.requestId) });
		}
		let content = out.refusal !== undefined ? null : (out.content ?? '');
		let finish = out.finishReason ?? 'stop';
		if (content !== null && maxOut !== undefined && ceil4(content) > maxOut) {
			content = content.slice(0, maxOut * 4);
			finish = 'length';
		}
		const cached = this.options.promptCaching === false ? 0 : this.cachedTokens(model, prompt);
		const completionTokens = out.usage?.completionTokens ?? ceil4(content ?? out.refusal ?? '') * rec.n;
		const promptTokens = out.usage?.promptTokens ?? rec.promptTokens;
		const usage: ChatUsage = {
			prompt_tokens: promptTokens,
			completion_tokens: completionTokens,
			total_tokens: promptTokens + completionTokens,
			prompt_tokens_details: { cached_tokens: out.usage?.cachedTokens ?? cached, audio_tokens: 0 },
			completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
		};
		this.noteUsage(model, usage.total_tokens);
		const completion: ChatCompletionJson = {
			id: `chatcmpl-${base62(29)}`,
			object: 'chat.completion',
			created: Math.floor(this.now() / 1000),
			model: this.snapshotOf(model),
			choices: Array.from({ length: rec.n }, (_, index) => ({
				index,
				message: { role: 'assistant' as const, content, refusal: out.refusal ?? null, annotations: [] },
				logprobs: null,
				finish_reason: finish,
			})),
			usage,
			service_tier: 'default',
			system_fingerprint: this.systemFingerprint,
		};
		rec.id = completion.id;
		rec.usage = usage;
		rec.response = completion;
		const headers = { ...this.headers(c, promptTokens), ...this.rateHeaders(model) };
		if (!rec.stream) return done({ status: 200, body: JSON.stringify(completion, null, 2), headers });
		return done({ status: 200, body: '', headers, events: streamEvents(completion, isObj(b.stream_options) && b.stream_options.include_usage === true) });
	}

	/** Validate messages and content parts (real error wording), filling rec and the prompt token list. */
	private parseMessages(messages: unknown[], rec: ChatRequestRecord, tokens: string[]): Failure | undefined {
		for (const [i, m] of messages.entries()) {
			const at = `messages[${i}]`;
			if (!isObj(m)) return { status: 400, body: invalidType(at, 'an object', m) };
			if (m.role === undefined) return { status: 400, body: missingParam(`${at}.role`) };
			if (typeof m.role !== 'string' || !ROLES.includes(m.role)) return { status: 400, body: invalidValue(m.role, ROLES, `${at}.role`) };
			const role = m.role;
			if (m.name !== undefined && typeof m.name !== 'string') return { status: 400, body: invalidType(`${at}.name`, 'a string', m.name) };
			if (role === 'tool' && typeof m.tool_call_id !== 'string') return { status: 400, body: missingParam(`${at}.tool_call_id`) };
			const content = m.content;
			const texts: string[] = [];
			tokens.push('<|start|>', role, ...(m.name ? [String(m.name)] : []), '<|message|>');
			if (content === undefined || content === null) {
				if (role !== 'assistant' && role !== 'function') return { status: 400, body: missingParam(`${at}.content`) };
			} else if (typeof content === 'string') {
				texts.push(content);
				rec.texts.push(content);
				pushAll(tokens, chunks(content));
			} else if (Array.isArray(content)) {
				if (!content.length) return { status: 400, body: emptyArray(`${at}.content`) };
				for (const [j, part] of content.entries()) {
					const pat = `${at}.content[${j}]`;
					if (!isObj(part)) return { status: 400, body: invalidType(pat, 'an object', part) };
					if (part.type === undefined) return { status: 400, body: missingParam(`${pat}.type`) };
					const type = part.type;
					if (typeof type !== 'string' || !ALL_PART_TYPES.includes(type)) return { status: 400, body: invalidValue(type, ALL_PART_TYPES, `${pat}.type`) };
					const allowed = PART_TYPES_BY_ROLE[role] ?? ['text'];
					if (!allowed.includes(type)) {
						if (type === 'image_url') return { status: 400, body: imageNotAllowedForRole(i, role) };
						return { status: 400, body: invalidValue(type, allowed, `${pat}.type`) };
					}
					const f = this.parsePart(type, part, pat, i, j, rec, texts, tokens);
					if (f) return f;
				}
			} else {
				return { status: 400, body: invalidType(`${at}.content`, 'one of a string or array of objects', content) };
			}
			tokens.push('<|end|>');
			rec.messages.push({ role, name: typeof m.name === 'string' ? m.name : undefined, text: texts.join('\n'), content });
		}
		return undefined;
	}

	private parsePart(
		type: string,
		part: Record<string, unknown>,
		pat: string,
		i: number,
		j: number,
		rec: ChatRequestRecord,
		texts: string[],
		tokens: string[],
	): Failure | undefined {
		const bad = (body: OpenAiErrorBody): Failure => ({ status: 400, body });
		if (type === 'text' || type === 'refusal') {
			const v = part[type];
			if (v === undefined) return bad(missingParam(`${pat}.${type}`));
			if (typeof v !== 'string') return bad(invalidType(`${pat}.${type}`, 'a string', v));
			texts.push(v);
			if (type === 'text') rec.texts.push(v);
			pushAll(tokens, chunks(v));
			return undefined;
		}
		if (type === 'image_url') {
			const iu = part.image_url;
			if (iu === undefined) return bad(missingParam(`${pat}.image_url`));
			if (!isObj(iu)) return bad(invalidType(`${pat}.image_url`, 'an object', iu));
			if (iu.url === undefined) return bad(missingParam(`${pat}.image_url.url`));
			if (typeof iu.url !== 'string') return bad(invalidType(`${pat}.image_url.url`, 'a string', iu.url));
			const detail = iu.detail ?? 'auto';
			if (typeof detail !== 'string' || !['auto', 'low', 'high'].includes(detail)) return bad(invalidValue(detail, ['auto', 'low', 'high'], `${pat}.image_url.detail`));
			const urlParam = `${pat}.image_url.url`;
			if (/^https?:\/\//i.test(iu.url)) {
				rec.remoteUrls.push(iu.url);
				const t = imageTokens(detail);
				rec.images.push({ message: i, part: j, detail, kind: 'remote', url: iu.url, tokens: t });
				for (let k = 0; k < t; k++) tokens.push(`img:${iu.url}:${k}`);
				return undefined;
			}
			const d = parseDataUrl(iu.url);
			if (!d) return bad(invalidImageDataUrl(urlParam, 'an invalid URL'));
			if (!IMAGE_MIME_TYPES.includes(d.mimeType)) return bad(invalidImageDataUrl(urlParam, `unsupported MIME type '${d.mimeType}'`));
			if (!d.base64) return bad(invalidImageDataUrl(urlParam, 'a data URL that is not base64-encoded'));
			if (!d.payload) return bad(invalidImageDataUrl(urlParam, 'empty base64-encoded bytes'));
			const bytes = decodeBase64Strict(d.payload);
			if (!bytes) return bad(invalidImageDataUrl(urlParam, 'an invalid base64-encoded value'));
			const info = sniffImage(bytes);
			if (!info) return bad(unsupportedImage());
			const hash = sha256(bytes);
			const t = imageTokens(detail, info.width, info.height);
			rec.images.push({ message: i, part: j, detail, kind: 'data', mimeType: d.mimeType, format: info.format, bytes, sha256: hash, width: info.width, height: info.height, tokens: t });
			for (let k = 0; k < t; k++) tokens.push(`img:${hash}:${detail}:${k}`);
			return undefined;
		}
		if (type === 'file') {
			const f = part.file;
			if (f === undefined) return bad(missingParam(`${pat}.file`));
			if (!isObj(f)) return bad(invalidType(`${pat}.file`, 'an object', f));
			if (typeof f.file_id === 'string') {
				rec.files.push({ message: i, part: j, fileId: f.file_id, filename: typeof f.filename === 'string' ? f.filename : undefined, tokens: 0 });
				tokens.push(`file:${f.file_id}`);
				return undefined;
			}
			// Real behaviour: file_data without a filename is rejected as a missing file_id.
			if (f.file_data === undefined || typeof f.filename !== 'string') return bad(missingParam(`${pat}.file.file_id`));
			const dataParam = `${pat}.file.file_data`;
			if (typeof f.file_data !== 'string') return bad(invalidType(dataParam, 'a string', f.file_data));
			const d = parseDataUrl(f.file_data);
			if (!d || !d.base64) return bad(invalidFileData(dataParam, 'a value that is not a base64 data URL'));
			if (d.mimeType !== 'application/pdf') return bad(invalidFileData(dataParam, `unsupported MIME type '${d.mimeType}'`));
			if (!d.payload) return bad(invalidFileData(dataParam, 'empty base64-encoded bytes'));
			const bytes = decodeBase64Strict(d.payload);
			if (!bytes) return bad(invalidFileData(dataParam, 'an invalid base64-encoded value'));
			const pdf = sniffPdf(bytes);
			if (!pdf) return bad(unparsableFile(dataParam, f.filename));
			const hash = sha256(bytes);
			const t = pdf.pages * 800; // ≈ extracted text + one page image per page
			rec.files.push({ message: i, part: j, filename: f.filename, mimeType: d.mimeType, bytes, sha256: hash, pages: pdf.pages, tokens: t });
			for (let k = 0; k < t; k++) tokens.push(`pdf:${hash}:${k}`);
			return undefined;
		}
		if (type === 'input_audio') {
			const a = part.input_audio;
			if (a === undefined) return bad(missingParam(`${pat}.input_audio`));
			if (!isObj(a)) return bad(invalidType(`${pat}.input_audio`, 'an object', a));
			if (a.data === undefined) return bad(missingParam(`${pat}.input_audio.data`));
			if (a.format === undefined) return bad(missingParam(`${pat}.input_audio.format`));
			if (typeof a.format !== 'string' || !['wav', 'mp3'].includes(a.format)) return bad(invalidValue(a.format, ['wav', 'mp3'], `${pat}.input_audio.format`));
			const bytes = typeof a.data === 'string' ? decodeBase64Strict(a.data) : undefined;
			if (!bytes || !bytes.length) return bad(apiError(`Invalid '${pat}.input_audio.data': expected valid base64-encoded audio data.`, 'invalid_request_error', `${pat}.input_audio.data`, 'invalid_value'));
			const hash = sha256(bytes);
			const t = Math.ceil(estimateAudioSeconds(bytes) * 10);
			rec.audio.push({ message: i, part: j, format: a.format, bytes, sha256: hash, tokens: t });
			for (let k = 0; k < t; k++) tokens.push(`audio:${hash}:${k}`);
			return undefined;
		}
		return bad(invalidValue(type, PART_TYPES_BY_ROLE.user, `${pat}.type`));
	}

	/** Simulated prompt caching: chained hashes of 128-token blocks; a hit needs ≥ 1024 tokens (8 blocks). */
	private cachedTokens(model: string, tokens: string[]): number {
		let h = sha256(`cache:${this.snapshotOf(model)}`);
		let matched = 0;
		let stillMatching = true;
		for (let k = 0; (k + 1) * BLOCK <= tokens.length; k++) {
			h = sha256(h + '\u0000' + tokens.slice(k * BLOCK, (k + 1) * BLOCK).join('\u0001'));
			if (stillMatching && this.promptCache.has(h)) matched++;
			else stillMatching = false;
			this.promptCache.delete(h);
			this.promptCache.set(h, true);
			if (this.promptCache.size > DEFAULTS.promptCacheBlocks) this.promptCache.delete(this.promptCache.keys().next().value as string);
		}
		return matched * BLOCK >= 1024 ? matched * BLOCK : 0;
	}

	// ---------------------------------------------------------------- POST /audio/transcriptions

	private async transcribe(c: Ctx): Promise<Reply> {
		if (!c.parts) return this.fail(c, 400, notMultipart());
		const fields: Record<string, string | string[]> = {};
		let file: MultipartPart | undefined;
		for (const p of c.parts) {
			if (p.name === 'file') {
				file = p;
				continue;
			}
			const v = p.data.toString('utf8');
			if (p.name.endsWith('[]')) ((fields[p.name] ??= []) as string[]).push(v);
			else fields[p.name] = v;
		}
		const str = (k: string) => (typeof fields[k] === 'string' ? (fields[k] as string) : undefined);
		const bytes = file?.data ?? Buffer.alloc(0);
		const rec: TranscriptionRequestRecord = {
			requestId: c.rec.requestId,
			at: c.rec.at,
			headers: c.req.headers,
			fields,
			model: str('model'),
			filename: file?.filename,
			contentType: file?.contentType,
			bytes,
			sha256: sha256(bytes),
			language: str('language'),
			prompt: str('prompt'),
			responseFormat: str('response_format') ?? 'json',
			temperature: str('temperature') !== undefined ? Number(str('temperature')) : undefined,
			durationSeconds: 0,
			status: 0,
		};
		this.log.record('transcriptionRequests', rec);
		const failWith = (status: number, body: OpenAiErrorBody, extra?: Record<string, string>): Reply => {
			rec.status = status;
			rec.error = body.error;
			return this.fail(c, status, body, extra);
		};

		if (c.raw.length > AUDIO_UPLOAD_LIMIT) return failWith(413, contentTooLarge(AUDIO_UPLOAD_LIMIT, c.raw.length));
		if (!rec.model) return failWith(400, missingModel());
		if (!file) return failWith(400, missingParam('file'));
		const model = rec.model;
		if (!this.servedModels().includes(model)) return failWith(404, modelNotFound(model));
		if (!isTranscribeModel(model)) return failWith(400, invalidValue(model, this.models.filter(isTranscribeModel), 'model'));
		const ext = /\.([A-Za-z0-9]+)$/.exec(file.filename ?? '')?.[1]?.toLowerCase();
		if (!ext || !AUDIO_EXTENSIONS.includes(ext)) return failWith(400, invalidAudioFormat());
		if (!TRANSCRIPTION_FORMATS.includes(rec.responseFormat)) return failWith(400, invalidValue(rec.responseFormat, TRANSCRIPTION_FORMATS, 'response_format'));
		if (model !== 'whisper-1' && !['json', 'text'].includes(rec.responseFormat)) return failWith(400, responseFormatNotCompatible(rec.responseFormat, model));
		if (rec.language !== undefined && !/^[a-z]{2}$/.test(rec.language)) return failWith(400, invalidLanguage(rec.language));
		if (rec.temperature !== undefined && !(rec.temperature >= 0 && rec.temperature <= 1))
			return failWith(400, Number.isNaN(rec.temperature) ? invalidType('temperature', 'a decimal', str('temperature')) : rec.temperature > 1 ? aboveMax('temperature', 1, rec.temperature) : belowMin('temperature', 0, rec.temperature));
		if (!bytes.length) return failWith(400, apiError('Audio file is too short. Minimum audio length is 0.1 seconds.', 'invalid_request_error', 'file', 'audio_too_short'));
		if (!sniffAudio(bytes)) return failWith(400, audioCorrupted());
		const spec = this.transcriptFor(rec) ?? { text: `Transcript of a ${bytes.length}-byte ${ext} recording.` };
		const seconds = spec.durationSeconds ?? estimateAudioSeconds(bytes);
		if (seconds < 0.1) return failWith(400, apiError('Audio file is too short. Minimum audio length is 0.1 seconds.', 'invalid_request_error', 'file', 'audio_too_short'));
		rec.durationSeconds = seconds;

		const audioTokens = Math.ceil(seconds * 10);
		const textTokens = rec.prompt ? ceil4(rec.prompt) : 0;
		const outTokens = ceil4(spec.text);
		const limited = this.rateLimit(model, model === 'whisper-1' ? 0 : audioTokens + textTokens);
		if (limited) return failWith(limited.failure.status, limited.failure.body, limited.headers);
		if (model !== 'whisper-1') this.noteUsage(model, audioTokens + textTokens + outTokens);
		rec.text = spec.text;
		rec.status = 200;
		const headers = { ...this.headers(c, audioTokens), ...this.rateHeaders(model) };
		const text = spec.text;
		const wholeSeconds = Math.max(1, Math.ceil(seconds));
		switch (rec.responseFormat) {
			case 'text':
				return { status: 200, body: `${text}\n`, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } };
			case 'srt':
				return { status: 200, body: `1\n00:00:00,000 --> ${timestamp(seconds, ',')}\n${text}\n\n`, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } };
			case 'vtt':
				return { status: 200, body: `WEBVTT\n\n00:00:00.000 --> ${timestamp(seconds, '.')}\n${text}\n\n`, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } };
			case 'verbose_json': {
				const language = LANGUAGE_NAMES[spec.language ?? rec.language ?? 'en'] ?? spec.language ?? rec.language ?? 'english';
				const granularities = (fields['timestamp_granularities[]'] as string[] | undefined) ?? ['segment'];
				const words = text.split(/\s+/).filter(Boolean);
				const body: Record<string, unknown> = { task: 'transcribe', language, duration: +seconds.toFixed(2), text };
				if (granularities.includes('word'))
					body.words = words.map((word, k) => ({ word: word.replace(/[^\p{L}\p{N}'-]/gu, ''), start: +((k * seconds) / words.length).toFixed(2), end: +(((k + 1) * seconds) / words.length).toFixed(2) }));
				if (granularities.includes('segment'))
					body.segments = [
						{ id: 0, seek: 0, start: 0, end: +seconds.toFixed(2), text: ` ${text}`, tokens: words.map((_, k) => 50364 + k), temperature: rec.temperature ?? 0, avg_logprob: -0.21, compression_ratio: 1.18, no_speech_prob: 0.01 },
					];
				body.usage = { type: 'duration', seconds: wholeSeconds };
				return { status: 200, body: JSON.stringify(body), headers };
			}
			default: {
				const body: Record<string, unknown> = { text };
				const include = (fields['include[]'] as string[] | undefined) ?? [];
				if (model !== 'whisper-1' && include.includes('logprobs'))
					body.logprobs = text.split(/(?=\s)/).map((token) => ({ token, logprob: -0.01, bytes: [...Buffer.from(token)] }));
				body.usage =
					model === 'whisper-1'
						? { type: 'duration', seconds: wholeSeconds }
						: { type: 'tokens', input_tokens: audioTokens + textTokens, input_token_details: { text_tokens: textTokens, audio_tokens: audioTokens }, output_tokens: outTokens, total_tokens: audioTokens + textTokens + outTokens };
				return { status: 200, body: JSON.stringify(body), headers };
			}
		}
	}

	private transcriptFor(rec: TranscriptionRequestRecord): TranscriptSpec | undefined {
		for (const { matcher, spec } of this.transcripts) {
			if (typeof matcher === 'string' ? matcher.toLowerCase() === rec.sha256 : Buffer.isBuffer(matcher) ? matcher.equals(rec.bytes) : matcher(rec)) return spec;
		}
		return undefined;
	}

	// ---------------------------------------------------------------- auth, rate limits, replies, injection

	private checkAuth(c: Ctx): Reply | undefined {
		const auth = header(c.req.headers, 'authorization') ?? '';
		const m = /^Bearer\s+(\S*)\s*$/i.exec(auth);
		const key = m?.[1];
		if (!key) return this.fail(c, 401, missingApiKey(), {}, false);
		if (!this.keys.includes(key)) return this.fail(c, 401, invalidApiKey(key), {}, false);
		const org = header(c.req.headers, 'openai-organization');
		if (org !== undefined && this.options.organization !== undefined && org !== this.options.organization) return this.fail(c, 401, mismatchedOrganization(), {}, false);
		const project = header(c.req.headers, 'openai-project');
		if (project !== undefined && this.options.project !== undefined && project !== this.options.project) return this.fail(c, 401, mismatchedProject(), {}, false);
		return undefined;
	}

	private limits() {
		return {
			rpm: this.options.rateLimits?.requestsPerMinute ?? DEFAULTS.requestsPerMinute,
			tpm: this.options.rateLimits?.tokensPerMinute ?? DEFAULTS.tokensPerMinute,
		};
	}
	private window(model: string): { at: number; tokens: number }[] {
		const key = this.snapshotOf(model);
		const now = this.now();
		const w = (this.usageWindows.get(key) ?? []).filter((e) => now - e.at < 60_000);
		this.usageWindows.set(key, w);
		return w;
	}
	/** Enforce RPM/TPM for this model; on success count the request (tokens are added by noteUsage). */
	private rateLimit(model: string, requestedTokens: number): { failure: Failure; headers: Record<string, string> } | undefined {
		const { rpm, tpm } = this.limits();
		const w = this.window(model);
		const now = this.now();
		const usedTokens = w.reduce((s, e) => s + e.tokens, 0);
		const fail = (kind: RateLimitKind, limit: number, used: number, requested: number, retryMs: number) => ({
			failure: { status: 429, body: rateLimitReached({ model: this.snapshotOf(model), organization: this.organization, kind, limit, used, requested, retryMs }) },
			headers: { ...this.rateHeaders(model), 'retry-after': String(Math.ceil(retryMs / 1000)), 'retry-after-ms': String(Math.ceil(retryMs)) },
		});
		if (requestedTokens > tpm)
			return { failure: { status: 429, body: requestTooLarge(this.snapshotOf(model), this.organization, tpm, requestedTokens) }, headers: this.rateHeaders(model) };
		if (w.length >= rpm) return fail('requests', rpm, w.length, 1, w[0].at + 60_000 - now);
		if (usedTokens + requestedTokens > tpm) {
			let free = usedTokens + requestedTokens - tpm;
			let retry = 0;
			for (const e of w) {
				free -= e.tokens;
				retry = e.at + 60_000 - now;
				if (free <= 0) break;
			}
			return fail('tokens', tpm, usedTokens, requestedTokens, retry);
		}
		w.push({ at: now, tokens: 0 });
		return undefined;
	}
	private noteUsage(model: string, tokens: number): void {
		const w = this.window(model);
		if (w.length) w[w.length - 1].tokens += tokens;
	}
	private rateHeaders(model: string): Record<string, string> {
		const { rpm, tpm } = this.limits();
		const w = this.window(model);
		const usedTokens = w.reduce((s, e) => s + e.tokens, 0);
		return {
			'x-ratelimit-limit-requests': String(rpm),
			'x-ratelimit-limit-tokens': String(tpm),
			'x-ratelimit-remaining-requests': String(Math.max(0, rpm - w.length)),
			'x-ratelimit-remaining-tokens': String(Math.max(0, tpm - usedTokens)),
			'x-ratelimit-reset-requests': formatDuration((60_000 * w.length) / rpm),
			'x-ratelimit-reset-tokens': formatDuration((60_000 * usedTokens) / tpm),
		};
	}

	private headers(c: Ctx, work = 0, authenticated = true): Record<string, string> {
		const ms = this.options.processingMs ?? 150 + (work % 500);
		const h: Record<string, string> = {
			'Content-Type': 'application/json',
			'x-request-id': c.rec.requestId,
			'openai-version': '2020-10-01',
			'openai-processing-ms': String(ms),
			'access-control-expose-headers': 'X-Request-ID',
			'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
			'x-content-type-options': 'nosniff',
			'x-envoy-upstream-service-time': String(ms + 3),
			'cf-cache-status': 'DYNAMIC',
			'cf-ray': `${hex(8)}-AMS`,
			server: 'cloudflare',
			'alt-svc': 'h3=":443"; ma=86400',
		};
		if (authenticated) {
			h['openai-organization'] = this.organization;
			if (this.options.project) h['openai-project'] = this.options.project;
		}
		return h;
	}
	private ok(c: Ctx, body: unknown): Reply {
		return { status: 200, body: JSON.stringify(body, null, 2), headers: this.headers(c) };
	}
	private fail(c: Ctx, status: number, body: OpenAiErrorBody | string, extra: Record<string, string> = {}, authenticated = true): Reply {
		return {
			status,
			body: typeof body === 'string' ? body : JSON.stringify(body, null, 4),
			headers: { ...this.headers(c, 0, authenticated), ...extra },
		};
	}

	private takeRule(c: Ctx): InjectRule | undefined {
		const body = c.json ?? (c.parts ? describeBody(c) : undefined);
		const model = isObj(body) && typeof body.model === 'string' ? body.model : undefined;
		return this.rules.take(c.method, c.rec.path, (r) => {
			if (r.model !== undefined && r.model !== model) return false;
			return !r.when || r.when({ method: c.method, path: c.rec.path, body });
		});
	}

	private injectedReply(c: Ctx, r: InjectRule): Reply | undefined {
		if (r.error === undefined && r.status === undefined && r.body === undefined) return undefined; // delay only
		const body0 = c.json;
		const model = isObj(body0) && typeof body0.model === 'string' ? body0.model : 'gpt-4o';
		const extra: Record<string, string> = {};
		let status = 400;
		let body: OpenAiErrorBody | string = apiError('Injected error');
		const retryMs = r.retryAfterMs ?? (r.retryAfterSeconds !== undefined ? r.retryAfterSeconds * 1000 : undefined);
		switch (r.error) {
			case 'rate_limit':
			case 'tokens_rate_limit': {
				const kind: RateLimitKind = r.error === 'rate_limit' ? 'requests' : 'tokens';
				const { rpm, tpm } = this.limits();
				const limit = kind === 'requests' ? rpm : tpm;
				status = 429;
				body = rateLimitReached({ model: this.snapshotOf(model), organization: this.organization, kind, limit, used: limit, requested: 1, retryMs: retryMs ?? 1000 });
				Object.assign(extra, this.rateHeaders(model), {
					[`x-ratelimit-remaining-${kind}`]: '0',
					[`x-ratelimit-reset-${kind}`]: formatDuration(retryMs ?? 1000),
				});
				break;
			}
			case 'insufficient_quota':
				status = 429;
				body = insufficientQuota();
				break;
			case 'server_error':
				status = 500;
				body = serverError(c.rec.requestId);
				break;
			case 'bad_gateway':
				status = 502;
				body = BAD_GATEWAY_HTML;
				extra['Content-Type'] = 'text/html';
				break;
			case 'overloaded':
				status = 503;
				body = overloaded(c.rec.requestId);
				break;
			case 'invalid_api_key':
				status = 401;
				body = invalidApiKey(/^Bearer\s+(\S+)/i.exec(header(c.req.headers, 'authorization') ?? '')?.[1] ?? '');
				break;
			case 'unsupported_region':
				status = 403;
				body = unsupportedRegion();
				break;
			case 'model_not_found':
				status = 404;
				body = modelNotFound(model);
				break;
			case 'context_length': {
				const window = this.contextWindow(model);
				status = 400;
				body = contextLengthExceeded(window, window + 1 + (c.raw.length >> 2));
				break;
			}
		}
		if (retryMs !== undefined) {
			extra['retry-after'] = r.retryAfterMs !== undefined ? String(Math.ceil(retryMs / 1000)) : String(r.retryAfterSeconds);
			extra['retry-after-ms'] = String(Math.round(retryMs));
		}
		if (r.status !== undefined) status = r.status;
		if (r.body !== undefined) body = typeof r.body === 'string' ? r.body : (r.body as OpenAiErrorBody);
		const reply = this.fail(c, status, body, { ...extra, ...r.headers });
		if (typeof body === 'string' && !r.headers?.['Content-Type'] && !extra['Content-Type']) reply.headers['Content-Type'] = 'text/plain';
		return reply;
	}

	// ---------------------------------------------------------------- small helpers

	private keepReceived(b: Buffer): void {
		if (!b.length) return;
		this.received.push(b);
		this.receivedBytes += b.length;
		const cap = this.options.maxReceivedBytes ?? DEFAULTS.maxReceivedBytes;
		while (this.receivedBytes > cap && this.received.length) {
			const dropped = this.received.shift() as Buffer;
			this.receivedBytes -= dropped.length;
			this.droppedReceivedBytes += dropped.length;
		}
	}
	/** Keep the request open without answering until the client disconnects or close(). */
	private hang(res: ServerResponse): Promise<void> {
		if (this.closed || res.destroyed) return Promise.resolve();
		return new Promise((resolve) => {
			const release = () => {
				this.hangs.delete(release);
				res.off('close', release);
				resolve();
			};
			this.hangs.add(release);
			res.once('close', release);
		});
	}
}

// ================================================================ module helpers

/**
 * `fetch` for SDK clients created inside Jest. Jest runs tests in a separate realm, so Node's fetch rejects with
 * errors (DOMException AbortError, TypeError) that are not `instanceof Error` there; the SDK's castToError then drops
 * the AbortError's name and a client timeout surfaces as APIConnectionError('Connection error.') instead of
 * APIConnectionTimeoutError. Re-creating the error in this realm restores plain-Node behaviour:
 *   new OpenAI({ apiKey, baseURL: ai.baseUrl, fetch: realmSafeFetch })
 */
export const realmSafeFetch: typeof fetch = async (input, init) => {
	try {
		return await fetch(input, init);
	} catch (e) {
		if (typeof e === 'object' && e !== null && !(e instanceof Error)) {
			const src = e as { name?: string; message?: string; cause?: unknown; stack?: string };
			const err = new Error(src.message ?? String(e), src.cause === undefined ? undefined : { cause: src.cause });
			err.name = src.name ?? 'Error';
			if (src.stack) err.stack = src.stack;
			throw err;
		}
		throw e;
	}
};

/** Default reply: a recognisable summary of what was received. */
export function defaultResponder(r: ChatRequestRecord): string {
	const audio = r.audio.length ? `, ${r.audio.length} audio parts` : '';
	return `Received: ${r.texts.length} text parts, ${r.images.length} images, ${r.files.length} files${audio}`;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
	const v = h[name];
	return Array.isArray(v) ? v[0] : v;
}
function num(v: unknown): number | undefined {
	return typeof v === 'number' ? v : undefined;
}
function timestamp(seconds: number, sep: string): string {
	const ms = Math.round(seconds * 1000);
	const hh = String(Math.floor(ms / 3_600_000)).padStart(2, '0');
	const mm = String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, '0');
	const ss = String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0');
	return `${hh}:${mm}:${ss}${sep}${String(ms % 1000).padStart(3, '0')}`;
}

/** Top-level chat parameters: presence, unknown arguments, types and ranges (real wording). */
function validateChatParams(b: Record<string, unknown>): Failure | undefined {
	const bad = (body: OpenAiErrorBody): Failure => ({ status: 400, body });
	if (b.model === undefined || b.model === null || b.model === '') return bad(missingModel());
	if (typeof b.model !== 'string') return bad(invalidType('model', 'a string', b.model));
	const unknown = Object.keys(b).find((k) => !CHAT_PARAMS.has(k));
	if (unknown) return bad(unrecognizedArgument(unknown));
	if (b.messages === undefined) return bad(missingParam('messages'));
	if (!Array.isArray(b.messages)) return bad(invalidType('messages', 'an array', b.messages));
	if (!b.messages.length) return bad(emptyArray('messages'));
	const ranges: [string, number, number, boolean][] = [
		['temperature', 0, 2, false],
		['top_p', 0, 1, false],
		['presence_penalty', -2, 2, false],
		['frequency_penalty', -2, 2, false],
		['n', 1, 128, true],
		['max_tokens', 1, Number.MAX_SAFE_INTEGER, true],
		['max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true],
		['top_logprobs', 0, 20, true],
	];
	for (const [k, min, max, int] of ranges) {
		const v = b[k];
		if (v === undefined || v === null) continue;
		if (typeof v !== 'number' || (int && !Number.isInteger(v))) return bad(invalidType(k, int ? 'an integer' : 'a decimal', v));
		if (v < min) return bad(belowMin(k, min, v, int));
		if (v > max) return bad(aboveMax(k, max, v, int));
	}
	for (const k of ['stream', 'store', 'logprobs', 'parallel_tool_calls']) {
		const v = b[k];
		if (v !== undefined && v !== null && typeof v !== 'boolean') return bad(invalidType(k, 'a boolean', v));
	}
	for (const k of ['tools', 'functions']) {
		const v = b[k];
		if (v === undefined || v === null) continue;
		if (!Array.isArray(v)) return bad(invalidType(k, 'an array', v));
		if (!v.length) return bad(emptyArray(k));
	}
	if (b.stream_options !== undefined && b.stream_options !== null && b.stream !== true)
		return bad(apiError("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'invalid_request_error', 'stream_options', null));
	if (b.user !== undefined && typeof b.user !== 'string') return bad(invalidType('user', 'a string', b.user));
	if (isObj(b.response_format)) {
		const t = b.response_format.type;
		if (!['text', 'json_object', 'json_schema'].includes(t as string)) return bad(invalidValue(t, ['text', 'json_object', 'json_schema'], 'response_format.type'));
	}
	return undefined;
}

/** The chat completion as SSE chunks (role chunk, content chunks, finish chunk, optional usage chunk, [DONE]). */
function streamEvents(c: ChatCompletionJson, includeUsage: boolean): string[] {
	const base = { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, service_tier: c.service_tier, system_fingerprint: c.system_fingerprint };
	const out: string[] = [];
	const chunk = (choices: unknown[]) => JSON.stringify({ ...base, choices, ...(includeUsage ? { usage: null } : {}), obfuscation: base62(4) });
	for (const ch of c.choices) {
		out.push(chunk([{ index: ch.index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]));
		const content = ch.message.content ?? '';
		for (const piece of content.match(/\s*\S+\s*/g) ?? (content ? [content] : [])) out.push(chunk([{ index: ch.index, delta: { content: piece }, logprobs: null, finish_reason: null }]));
		if (ch.message.refusal) out.push(chunk([{ index: ch.index, delta: { refusal: ch.message.refusal }, logprobs: null, finish_reason: null }]));
		out.push(chunk([{ index: ch.index, delta: {}, logprobs: null, finish_reason: ch.finish_reason }]));
	}
	if (includeUsage) out.push(JSON.stringify({ ...base, choices: [], usage: c.usage, obfuscation: base62(4) }));
	out.push('[DONE]');
	return out;
}

/** What RequestRecord.body shows: parsed JSON, or multipart fields with file parts summarised. */
function describeBody(c: Ctx): unknown {
	if (c.parts) {
		const out: Record<string, unknown> = {};
		for (const p of c.parts) {
			const v = p.filename !== undefined ? { filename: p.filename, contentType: p.contentType, size: p.data.length } : p.data.toString('utf8');
			if (p.name.endsWith('[]')) ((out[p.name] ??= []) as unknown[]).push(v);
			else out[p.name] = v;
		}
		return out;
	}
	if (c.jsonError) return c.raw.toString('utf8');
	return c.json;
}

/** Read the whole body, keeping at most `limit` bytes (the rest is drained and counted). */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; size: number; overflow: boolean }> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let settled = false;
		const finish = () => {
			if (settled) return;
			settled = true;
			resolve({ body: Buffer.concat(chunks), size, overflow: size > limit });
		};
		req.on('data', (d: Buffer) => {
			size += d.length;
			if (size <= limit) chunks.push(d);
		});
		req.on('end', finish);
		req.on('error', finish);
		req.on('close', finish);
	});
}
