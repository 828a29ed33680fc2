import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

import { metaAuthHeaders, type MetaCredentials } from './metaCredentials';
import { backoffDelay, parseRetryAfter, sleep } from './retry';

/** The one way WhatsAuto talks HTTP: n8n's `this.helpers.httpRequest` in nodes, an adapter in credential tests. */
export type HttpRequester = (options: IHttpRequestOptions) => Promise<IN8nHttpFullResponse>;

export interface RetryPolicy {
	maxAttempts: number;
	maxTotalMs: number;
	baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, maxTotalMs: 20_000, baseDelayMs: 500 };
export const NO_RETRY: RetryPolicy = { maxAttempts: 1, maxTotalMs: 0, baseDelayMs: 0 };

/** Graph error codes that mean "try again later" whatever the HTTP status says. */
const RETRYABLE_CODES = new Set([1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131057]);

const FRIENDLY: Record<number, string> = {
	0: 'Meta rejected the access token. Create a new System User token and update the WhatsAuto: WhatsApp Cloud API credential.',
	10: 'The access token lacks a permission. Give the System User whatsapp_business_messaging and whatsapp_business_management.',
	100: 'Meta rejected a parameter. Check the Phone Number ID and WhatsApp Business Account ID in the credential.',
	190: 'The access token has expired or is invalid. Create a permanent System User token in Meta Business Settings and update the credential.',
	368: 'The business account is temporarily blocked for policy violations.',
	80007: 'The WhatsApp Business Account hit its API rate limit. Try again later.',
	130429: 'Cloud API throughput reached for this number. Try again later.',
	131000: 'Meta reported an internal error. Try again.',
	131005: 'Access denied. Check the token’s permissions.',
	131016: 'WhatsApp is temporarily unavailable. Try again later.',
	131031: 'The business account has been locked by Meta.',
	131047: 'More than 24 hours have passed since the customer last wrote; only an approved template can be sent now.',
	131052: 'The customer’s media could not be downloaded from WhatsApp.',
	131056: 'Too many messages to the same customer in a short time (about one every 6 seconds).',
	133010: 'This phone number is not registered on the Cloud API.',
};

export interface GraphErrorBody {
	message?: string;
	type?: string;
	code?: number;
	error_subcode?: number;
	error_data?: { details?: string };
	fbtrace_id?: string;
}

/** A failed Graph call, parsed. `message` is written for a no-code builder and never contains message content. */
export class GraphApiError extends Error {
	readonly httpStatus: number;
	readonly code: number | undefined;
	readonly subcode: number | undefined;
	readonly details: string | undefined;
	readonly fbtraceId: string | undefined;
	readonly retryAfterMs: number | undefined;
	readonly retryable: boolean;

	constructor(httpStatus: number, error: GraphErrorBody | undefined, retryAfterMs?: number) {
		const code = typeof error?.code === 'number' ? error.code : undefined;
		super(describeGraphError(httpStatus, error));
		this.name = 'GraphApiError';
		this.httpStatus = httpStatus;
		this.code = code;
		this.subcode = typeof error?.error_subcode === 'number' ? error.error_subcode : undefined;
		this.details = error?.error_data?.details;
		this.fbtraceId = error?.fbtrace_id;
		this.retryAfterMs = retryAfterMs;
		this.retryable =
			httpStatus === 429 || httpStatus >= 500 || (code !== undefined && RETRYABLE_CODES.has(code));
	}
}

export function describeGraphError(httpStatus: number, error: GraphErrorBody | undefined): string {
	const code = error?.code;
	if (code === 100 && error?.error_subcode === 33) {
		return 'Meta does not know this ID, or the token cannot see it. Check the Phone Number ID / WhatsApp Business Account ID in the credential and that the System User has access to the WhatsApp account.';
	}
	const friendly = code !== undefined ? FRIENDLY[code] : undefined;
	const meta = error?.message ? ` Meta said: ${error.message}` : '';
	if (friendly) return `${friendly} (Graph error ${code}).${meta}`;
	if (code !== undefined) return `WhatsApp Cloud API error ${code} (HTTP ${httpStatus}).${meta}`;
	if (httpStatus === 0) return 'Could not reach the WhatsApp Cloud API. Check the Base URL in the credential and the network.';
	return `WhatsApp Cloud API answered HTTP ${httpStatus}.`;
}

export interface GraphRequest {
	method: IHttpRequestMethods;
	/** Path below `{baseUrl}/{version}`, e.g. `/123/messages`; or an absolute URL (media downloads). */
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	binary?: boolean;
	timeoutMs?: number;
}

export interface GraphResponse<T> {
	status: number;
	headers: IDataObject;
	body: T;
}

export function graphUrl(creds: MetaCredentials, path: string): string {
	if (/^https?:\/\//i.test(path)) return path;
	return `${creds.baseUrl}/${creds.graphApiVersion}${path.startsWith('/') ? path : `/${path}`}`;
}

function errorBodyOf(body: unknown): GraphErrorBody | undefined {
	let parsed = body;
	if (Buffer.isBuffer(parsed)) parsed = parsed.toString('utf8');
	if (typeof parsed === 'string') {
		try {
			parsed = JSON.parse(parsed);
		} catch {
			return undefined;
		}
	}
	const error = (parsed as { error?: unknown } | null)?.error;
	return error && typeof error === 'object' ? (error as GraphErrorBody) : undefined;
}

async function attempt<T>(http: HttpRequester, creds: MetaCredentials, request: GraphRequest): Promise<GraphResponse<T>> {
	let response: IN8nHttpFullResponse;
	try {
		response = await http({
			method: request.method,
			url: graphUrl(creds, request.path),
			headers: metaAuthHeaders(creds),
			qs: request.qs,
			body: request.body,
			json: !request.binary,
			encoding: request.binary ? 'arraybuffer' : undefined,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: request.timeoutMs ?? 30_000,
		});
	} catch {
		const unreachable = new GraphApiError(0, undefined);
		Object.defineProperty(unreachable, 'retryable', { value: true });
		throw unreachable;
	}
	if (response.statusCode >= 200 && response.statusCode < 300) {
		return { status: response.statusCode, headers: response.headers, body: response.body as T };
	}
	throw new GraphApiError(response.statusCode, errorBodyOf(response.body), parseRetryAfter(response.headers['retry-after']));
}

/**
 * One Graph API call with bounded retries: 429, 5xx and throughput codes are retried with exponential
 * backoff and full jitter, honouring Retry-After, never past `maxTotalMs`.
 */
export async function graphRequest<T = IDataObject>(
	http: HttpRequester,
	creds: MetaCredentials,
	request: GraphRequest,
	policy: RetryPolicy = DEFAULT_RETRY,
): Promise<GraphResponse<T>> {
	const started = Date.now();
	for (let attemptNo = 1; ; attemptNo++) {
		try {
			return await attempt<T>(http, creds, request);
		} catch (error) {
			if (!(error instanceof GraphApiError) || !error.retryable || attemptNo >= policy.maxAttempts) throw error;
			const delay = backoffDelay(attemptNo, policy.baseDelayMs, error.retryAfterMs);
			if (Date.now() - started + delay > policy.maxTotalMs) throw error;
			await sleep(delay);
		}
	}
}
