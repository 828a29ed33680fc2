/**
 * OpenAI API error bodies, as the real API sends them: `{"error":{"message","type","param","code"}}` (all four keys
 * always present, `null` when unset). Messages are copied from real responses where we have them (see comments).
 * The official SDK maps the HTTP status to its error class (400 BadRequestError, 401 AuthenticationError,
 * 403 PermissionDeniedError, 404 NotFoundError, 429 RateLimitError, ≥500 InternalServerError) and copies
 * `code` / `param` / `type` onto the error; `x-request-id` becomes `err.requestID`.
 */

export interface OpenAiErrorBody {
	error: { message: string; type: string; param: string | null; code: string | null };
}

export function apiError(message: string, type = 'invalid_request_error', param: string | null = null, code: string | null = null): OpenAiErrorBody {
	return { error: { message, type, param, code } };
}

/** How the API echoes a wrong key: first 8 characters, `*` for the middle, last 4 (`sk-WRQsP*****…*xQBt`). */
export function maskKey(key: string): string {
	if (key.length <= 12) return key.slice(0, Math.min(3, key.length)) + '*'.repeat(Math.max(0, key.length - 3));
	return key.slice(0, 8) + '*'.repeat(key.length - 12) + key.slice(-4);
}

const KEYS_URL = 'https://platform.openai.com/account/api-keys';
const LIMITS_URL = 'https://platform.openai.com/account/rate-limits';

export const invalidApiKey = (key: string): OpenAiErrorBody =>
	apiError(`Incorrect API key provided: ${maskKey(key)}. You can find your API key at ${KEYS_URL}.`, 'invalid_request_error', null, 'invalid_api_key');

export const missingApiKey = (): OpenAiErrorBody =>
	apiError(
		"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), " +
			"or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. " +
			`You can obtain an API key from ${KEYS_URL}.`,
	);

export const mismatchedOrganization = (): OpenAiErrorBody =>
	apiError('OpenAI-Organization header should match organization for API key', 'invalid_request_error', null, 'mismatched_organization');
export const mismatchedProject = (): OpenAiErrorBody =>
	apiError('OpenAI-Project header should match project for API key', 'invalid_request_error', null, 'mismatched_project');

export const modelNotFound = (model: string): OpenAiErrorBody =>
	apiError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');

export const notChatModel = (): OpenAiErrorBody =>
	apiError('This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?', 'invalid_request_error', 'model', null);

export const invalidUrl = (method: string, path: string): OpenAiErrorBody => apiError(`Invalid URL (${method} ${path})`);

export const badJson = (): OpenAiErrorBody =>
	apiError(
		"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. " +
			'The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, ' +
			'please contact us through our help center at help.openai.com.)',
	);

export const missingModel = (): OpenAiErrorBody => apiError('you must provide a model parameter');
export const missingParam = (param: string): OpenAiErrorBody =>
	apiError(`Missing required parameter: '${param}'.`, 'invalid_request_error', param, 'missing_required_parameter');
export const unrecognizedArgument = (name: string): OpenAiErrorBody => apiError(`Unrecognized request argument supplied: ${name}`);
export const emptyArray = (param: string): OpenAiErrorBody =>
	apiError(`Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`, 'invalid_request_error', param, 'empty_array');

/** `Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.` */
export function invalidValue(value: unknown, supported: string[], param: string): OpenAiErrorBody {
	const list = supported.map((s) => `'${s}'`);
	const joined = list.length <= 2 ? list.join(' and ') : `${list.slice(0, -1).join(', ')}, and ${list[list.length - 1]}`;
	return apiError(`Invalid value: '${String(value)}'. Supported values are: ${joined}.`, 'invalid_request_error', param, 'invalid_value');
}

const TYPE_NAMES: Record<string, string> = { string: 'a string', number: 'a decimal', boolean: 'a boolean', object: 'an object', undefined: 'null' };
export function typeName(v: unknown): string {
	if (v === null) return 'null';
	if (Array.isArray(v)) return 'an array';
	if (typeof v === 'number' && Number.isInteger(v)) return 'an integer';
	return TYPE_NAMES[typeof v] ?? typeof v;
}
/** `Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer instead.` */
export const invalidType = (param: string, expected: string, got: unknown): OpenAiErrorBody =>
	apiError(`Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`, 'invalid_request_error', param, 'invalid_type');

/** Range errors name the parameter's schema type (`temperature: 3` is still a "decimal"). */
export const aboveMax = (param: string, max: number, got: number, integer = false): OpenAiErrorBody =>
	apiError(
		`Invalid '${param}': ${integer ? 'integer' : 'decimal'} above maximum value. Expected a value <= ${max}, but got ${got} instead.`,
		'invalid_request_error',
		param,
		integer ? 'integer_above_max_value' : 'decimal_above_max_value',
	);
export const belowMin = (param: string, min: number, got: number, integer = false): OpenAiErrorBody =>
	apiError(
		`Invalid '${param}': ${integer ? 'integer' : 'decimal'} below minimum value. Expected a value >= ${min}, but got ${got} instead.`,
		'invalid_request_error',
		param,
		integer ? 'integer_below_min_value' : 'decimal_below_min_value',
	);

/** Real wording: `Invalid 'input[101].content[1].image_url'. Expected a base64-encoded data URL with an image MIME type (e.g. …), but got …`. */
export const invalidImageDataUrl = (param: string, problem: string): OpenAiErrorBody =>
	apiError(
		`Invalid '${param}'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got ${problem}.`,
		'invalid_request_error',
		param,
		'invalid_value',
	);
export const unsupportedImage = (): OpenAiErrorBody =>
	apiError(
		"You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
		'invalid_request_error',
		null,
		'invalid_image_format',
	);
export const imageNotAllowedForRole = (index: number, role: string): OpenAiErrorBody =>
	apiError(
		`Invalid 'messages[${index}]'. Image URLs are only allowed for messages with role 'user', but this message with role '${role}' contains an image URL.`,
		'invalid_request_error',
		`messages[${index}]`,
		'invalid_value',
	);
/** Real wording (file parts): `Invalid file data: 'messages[1].content[1].file.file_data'. Expected a base64-encoded data URL with an application/pdf MIME type …`. */
export const invalidFileData = (param: string, problem: string): OpenAiErrorBody =>
	apiError(
		`Invalid file data: '${param}'. Expected a base64-encoded data URL with an application/pdf MIME type (e.g. 'data:application/pdf;base64,SGVsbG8sIFdvcmxkIQ=='), but got ${problem}.`,
		'invalid_request_error',
		param,
		'invalid_value',
	);
/** Not confirmed verbatim: what a PDF that cannot be parsed yields. */
export const unparsableFile = (param: string, filename: string): OpenAiErrorBody =>
	apiError(`Invalid file '${filename}': the file could not be parsed as a PDF.`, 'invalid_request_error', param, 'invalid_value');
export const audioNotSupported = (param: string, model: string): OpenAiErrorBody =>
	apiError(`This model (${model}) does not support audio input.`, 'invalid_request_error', param, 'invalid_value');

export const contextLengthExceeded = (limit: number, got: number): OpenAiErrorBody =>
	apiError(
		`This model's maximum context length is ${limit} tokens. However, your messages resulted in ${got} tokens. Please reduce the length of the messages.`,
		'invalid_request_error',
		'messages',
		'context_length_exceeded',
	);

export type RateLimitKind = 'requests' | 'tokens';
/** `Rate limit reached for gpt-4o in organization org-… on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms. Visit …` */
export function rateLimitReached(o: { model: string; organization: string; kind: RateLimitKind; limit: number; used: number; requested: number; retryMs: number }): OpenAiErrorBody {
	const per = o.kind === 'tokens' ? 'tokens per min (TPM)' : 'requests per min (RPM)';
	return apiError(
		`Rate limit reached for ${o.model} in organization ${o.organization} on ${per}: Limit ${o.limit}, Used ${o.used}, Requested ${o.requested}. ` +
			`Please try again in ${formatDuration(o.retryMs)}. Visit ${LIMITS_URL} to learn more.`,
		o.kind,
		null,
		'rate_limit_exceeded',
	);
}
/** `Request too large for gpt-4o in organization org-… on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced …` */
export const requestTooLarge = (model: string, organization: string, limit: number, requested: number): OpenAiErrorBody =>
	apiError(
		`Request too large for ${model} in organization ${organization} on tokens per min (TPM): Limit ${limit}, Requested ${requested}. ` +
			`The input or output tokens must be reduced in order to run successfully. Visit ${LIMITS_URL} to learn more.`,
		'tokens',
		null,
		'rate_limit_exceeded',
	);
export const insufficientQuota = (): OpenAiErrorBody =>
	apiError(
		'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
		'insufficient_quota',
		null,
		'insufficient_quota',
	);
export const serverError = (requestId: string): OpenAiErrorBody =>
	apiError(
		'The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com ' +
			`if you keep seeing this error. (Please include the request ID ${requestId} in your email.)`,
		'server_error',
	);
export const overloaded = (requestId: string): OpenAiErrorBody =>
	apiError(
		'That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com ' +
			`if the error persists. (Please include the request ID ${requestId} in your message.)`,
		'server_error',
	);
export const unsupportedRegion = (): OpenAiErrorBody =>
	apiError('Country, region, or territory not supported', 'request_forbidden', null, 'unsupported_country_region_territory');

/** Cloudflare's HTML page for a 502 (the SDK surfaces the raw text as the message). */
export const BAD_GATEWAY_HTML =
	'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

// ---------------------------------------------------------------- /v1/audio/*

export const AUDIO_EXTENSIONS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
export const invalidAudioFormat = (): OpenAiErrorBody =>
	apiError(`Invalid file format. Supported formats: [${AUDIO_EXTENSIONS.map((e) => `'${e}'`).join(', ')}]`);
export const audioCorrupted = (): OpenAiErrorBody => apiError('Audio file might be corrupted or unsupported', 'invalid_request_error', 'file', 'invalid_value');
/** Uploads over 25 MiB: HTTP 413 with type server_error (real). */
export const contentTooLarge = (limit: number, read: number): OpenAiErrorBody =>
	apiError(`Maximum content size limit (${limit}) exceeded (${read} bytes read)`, 'server_error');
export const notMultipart = (): OpenAiErrorBody => apiError('Could not parse multipart form');
export const invalidLanguage = (lang: string): OpenAiErrorBody =>
	apiError(`Invalid language '${lang}'. Language parameter must be specified in ISO-639-1 format.`, 'invalid_request_error', 'language', 'invalid_value');
export const responseFormatNotCompatible = (format: string, model: string): OpenAiErrorBody =>
	apiError(`response_format '${format}' is not compatible with model '${model}'. Use 'json' or 'text' instead.`, 'invalid_request_error', 'response_format', 'unsupported_value');

// ---------------------------------------------------------------- helpers

/** OpenAI's duration style used in `x-ratelimit-reset-*` and rate-limit messages: `12ms`, `1.2s`, `6m0s`, `1h2m3s`. */
export function formatDuration(ms: number): string {
	const v = Math.max(0, ms);
	if (v < 1000) return `${Math.ceil(v)}ms`;
	if (v < 60_000) return `${+(v / 1000).toFixed(3)}s`;
	const h = Math.floor(v / 3_600_000);
	const m = Math.floor((v % 3_600_000) / 60_000);
	const s = +((v % 60_000) / 1000).toFixed(3);
	return `${h ? `${h}h` : ''}${m}m${s}s`;
}
