import type { IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';

import { describeGraphError, GraphApiError, graphRequest, type HttpRequester } from '../../nodes/shared/transport/graphApi';
import { toMetaCredentials } from '../../nodes/shared/transport/metaCredentials';
import { backoffDelay, parseRetryAfter } from '../../nodes/shared/transport/retry';

const creds = toMetaCredentials({
	accessToken: ' EAAG-token ',
	appSecret: 's',
	verifyToken: 'v',
	phoneNumberId: '106540352242922',
	businessAccountId: '102290129340398',
	graphApiVersion: '23.0',
	baseUrl: 'http://127.0.0.1:9/',
});

function scripted(...responses: Array<Partial<IN8nHttpFullResponse> | Error>) {
	const calls: IHttpRequestOptions[] = [];
	const http: HttpRequester = async (options) => {
		calls.push(options);
		const next = responses.shift();
		if (!next) throw new Error('no more scripted responses');
		if (next instanceof Error) throw next;
		return { statusCode: 200, headers: {}, body: {}, ...next } as IN8nHttpFullResponse;
	};
	return { http, calls };
}

const graphError = (code: number, extra: object = {}) => ({ error: { message: `(#${code}) x`, type: 'OAuthException', code, fbtrace_id: 'T', ...extra } });
const FAST = { maxAttempts: 4, maxTotalMs: 5_000, baseDelayMs: 1 };

describe('toMetaCredentials', () => {
	it('normalises what people paste', () => {
		expect(creds).toMatchObject({ accessToken: 'EAAG-token', graphApiVersion: 'v23.0', baseUrl: 'http://127.0.0.1:9' });
	});
});

describe('graphRequest', () => {
	it('sends the bearer token to {baseUrl}/{version}{path} and returns the body', async () => {
		const { http, calls } = scripted({ body: { id: '106540352242922' } });
		const response = await graphRequest(http, creds, { method: 'GET', path: '/106540352242922' }, FAST);
		expect(response.body).toEqual({ id: '106540352242922' });
		expect(calls[0]).toMatchObject({
			url: 'http://127.0.0.1:9/v23.0/106540352242922',
			headers: { Authorization: 'Bearer EAAG-token' },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		});
	});

	it('retries 5xx and throughput errors, then succeeds', async () => {
		const { http, calls } = scripted(
			{ statusCode: 500, body: graphError(131000) },
			{ statusCode: 400, body: graphError(130429) },
			{ statusCode: 200, body: { ok: true } },
		);
		await expect(graphRequest(http, creds, { method: 'POST', path: '/x' }, FAST)).resolves.toMatchObject({ body: { ok: true } });
		expect(calls).toHaveLength(3);
	});

	it('honours Retry-After on 429', async () => {
		const { http } = scripted({ statusCode: 429, headers: { 'retry-after': '1' }, body: graphError(4) }, { statusCode: 200 });
		const started = Date.now();
		await graphRequest(http, creds, { method: 'GET', path: '/x' }, FAST);
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	it('gives up when Retry-After is beyond the total time budget', async () => {
		const { http, calls } = scripted({ statusCode: 429, headers: { 'retry-after': '60' }, body: graphError(4) }, { statusCode: 200 });
		await expect(graphRequest(http, creds, { method: 'GET', path: '/x' }, FAST)).rejects.toBeInstanceOf(GraphApiError);
		expect(calls).toHaveLength(1);
	});

	it('stops after maxAttempts', async () => {
		const { http, calls } = scripted(...Array.from({ length: 5 }, () => ({ statusCode: 503, body: 'down' })));
		await expect(graphRequest(http, creds, { method: 'GET', path: '/x' }, FAST)).rejects.toMatchObject({ httpStatus: 503 });
		expect(calls).toHaveLength(4);
	});

	it('does not retry an expired token and explains it', async () => {
		const { http, calls } = scripted({ statusCode: 400, body: graphError(190, { error_subcode: 463 }) });
		const error = await graphRequest(http, creds, { method: 'GET', path: '/x' }, FAST).catch((e: unknown) => e);
		expect(calls).toHaveLength(1);
		expect(error).toMatchObject({ code: 190, subcode: 463, httpStatus: 400, retryable: false, fbtraceId: 'T' });
		expect((error as Error).message).toMatch(/access token has expired/i);
		expect((error as Error).message).not.toContain('EAAG');
	});

	it('explains an unknown id (GraphMethodException 100/33)', () => {
		expect(describeGraphError(400, { code: 100, error_subcode: 33, message: 'Unsupported get request' })).toMatch(/Phone Number ID/);
	});

	it('treats a network failure as retryable and says the API was unreachable', async () => {
		const { http, calls } = scripted(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), { statusCode: 200 });
		await expect(graphRequest(http, creds, { method: 'GET', path: '/x' }, FAST)).resolves.toBeDefined();
		expect(calls).toHaveLength(3);
		const { http: down } = scripted(new Error('ECONNREFUSED'));
		await expect(graphRequest(down, creds, { method: 'GET', path: '/x' }, { ...FAST, maxAttempts: 1 })).rejects.toThrow(/Could not reach/);
	});
});

describe('retry helpers', () => {
	it('parses Retry-After seconds and dates', () => {
		expect(parseRetryAfter('3')).toBe(3000);
		expect(parseRetryAfter(['2'])).toBe(2000);
		expect(parseRetryAfter(undefined)).toBeUndefined();
		expect(parseRetryAfter('soon')).toBeUndefined();
		const inFive = new Date(Date.now() + 5000).toUTCString();
		expect(parseRetryAfter(inFive)).toBeGreaterThan(3000);
	});

	it('backs off exponentially with jitter, never below Retry-After', () => {
		expect(backoffDelay(1, 100, undefined, () => 0)).toBe(50);
		expect(backoffDelay(3, 100, undefined, () => 1)).toBe(400);
		expect(backoffDelay(1, 100, 2000, () => 1)).toBe(2000);
	});
});
