import OpenAI, { toFile } from 'openai';

import { maskKey } from '../../devkit/fakes/openai-errors';
import { dataUrl, realmSafeFetch, sampleAudio, samplePdf, samplePng, sha256, startFakeOpenAi, type FakeOpenAi, type FakeOpenAiOptions } from '../../devkit/fakes/openai';
import { sniffAudio, sniffImage, sniffPdf } from '../../devkit/fakes/openai-wire';

const KEY = 'sk-test-0123456789abcdefghijklmnopqrstuvwxyzABCD';

// ---------------------------------------------------------------- harness

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
});

async function start(extra: Partial<FakeOpenAiOptions> = {}): Promise<FakeOpenAi> {
	const ai = await startFakeOpenAi({ apiKey: KEY, ...extra });
	cleanups.push(() => ai.close());
	return ai;
}
/** The real SDK pointed at the fake; no retries and a short timeout unless asked (realmSafeFetch: see its doc). */
function client(ai: FakeOpenAi, opts: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
	return new OpenAI({ apiKey: KEY, baseURL: ai.baseUrl, maxRetries: 0, timeout: 5_000, fetch: realmSafeFetch, ...opts });
}
/** Run a promise that must reject; return the error (bounded by the SDK timeout). */
async function rejection(p: Promise<unknown>): Promise<any> {
	try {
		await p;
	} catch (e) {
		return e;
	}
	throw new Error('expected a rejection');
}
const user = (content: OpenAI.Chat.ChatCompletionUserMessageParam['content']): OpenAI.Chat.ChatCompletionMessageParam[] => [{ role: 'user', content }];

// ---------------------------------------------------------------- models

describe('models', () => {
	it('lists models (aliases and dated snapshots); an unknown model → 404 model_not_found', async () => {
		const ai = await start();
		const openai = client(ai);
		const ids: string[] = [];
		const models: OpenAI.Models.Model[] = [];
		for await (const m of openai.models.list()) {
			ids.push(m.id);
			models.push(m);
		}
		expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'omni-moderation-latest']));
		const m = models.find((x) => x.id === 'whisper-1');
		expect(m).toEqual({ id: 'whisper-1', object: 'model', created: expect.any(Number), owned_by: 'openai-internal' });
		const err = await rejection(openai.chat.completions.create({ model: 'gpt-5-imaginary', messages: user('hi') }));
		expect(err).toBeInstanceOf(OpenAI.NotFoundError);
		expect(err.code).toBe('model_not_found');
		expect(err.message).toBe('404 The model `gpt-5-imaginary` does not exist or you do not have access to it.');
	});

	it('serves only what the package calls: other paths, and a base URL without /v1, → 404 Invalid URL', async () => {
		const ai = await start();
		const openai = client(ai);
		const err = await rejection(openai.models.retrieve('gpt-4o'));
		expect(err).toBeInstanceOf(OpenAI.NotFoundError);
		expect(err.error).toEqual({ message: 'Invalid URL (GET /v1/models/gpt-4o)', type: 'invalid_request_error', param: null, code: null });
		expect((await rejection(openai.moderations.create({ input: 'hi' }))).message).toBe('404 Invalid URL (POST /v1/moderations)');
		const res = await fetch(`${ai.origin}/models`, { headers: { Authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(5_000) });
		expect(res.status).toBe(404);
		expect(((await res.json()) as any).error.message).toBe('Invalid URL (GET /models)');
	});

	it('honours a custom model list', async () => {
		const ai = await start({ models: ['gpt-4o-mini'] });
		const page = await client(ai).models.list();
		expect(page.data.map((m) => m.id)).toEqual(['gpt-4o-mini', 'gpt-4o-mini-2024-07-18']);
		const err = await rejection(client(ai).chat.completions.create({ model: 'gpt-4o', messages: user('hi') }));
		expect(err).toBeInstanceOf(OpenAI.NotFoundError);
	});
});

// ---------------------------------------------------------------- chat

describe('chat completions', () => {
	it('records text + image data URL + PDF file parts exactly and answers in the real shape', async () => {
		const ai = await start();
		const png = samplePng(1024, 768);
		const pdf = samplePdf(['Invoice 42', 'Page two']);
		const { data: completion, response } = await client(ai, { organization: 'org-abc' })
			.chat.completions.create({
				model: 'gpt-4o',
				store: false,
				temperature: 0.3,
				max_completion_tokens: 300,
				user: 'hashed-user-1',
				messages: [
					{ role: 'system', content: 'You are a helpful assistant.' },
					{
						role: 'user',
						content: [
							{ type: 'text', text: 'What is in these?' },
							{ type: 'image_url', image_url: { url: dataUrl('image/png', png), detail: 'high' } },
							{ type: 'file', file: { filename: 'invoice.pdf', file_data: dataUrl('application/pdf', pdf) } },
						],
					},
				],
			})
			.withResponse();

		// response shape
		expect(completion).toEqual({
			id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{29}$/),
			object: 'chat.completion',
			created: expect.any(Number),
			model: 'gpt-4o-2024-08-06',
			choices: [
				{
					index: 0,
					message: { role: 'assistant', content: 'Received: 2 text parts, 1 images, 1 files', refusal: null, annotations: [] },
					logprobs: null,
					finish_reason: 'stop',
				},
			],
			usage: {
				prompt_tokens: expect.any(Number),
				completion_tokens: expect.any(Number),
				total_tokens: expect.any(Number),
				prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
				completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
			},
			service_tier: 'default',
			system_fingerprint: expect.stringMatching(/^fp_[0-9a-f]{10}$/),
		});
		const u = completion.usage!;
		expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
		expect(u.completion_tokens).toBe(Math.ceil(completion.choices[0].message.content!.length / 4));
		// 1024×768 high detail → 2×2 tiles → 765 tokens; 2 PDF pages → 1600
		expect(u.prompt_tokens).toBeGreaterThan(765 + 1600);
		expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
		expect(response.headers.get('openai-version')).toBe('2020-10-01');
		expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThan(0);
		expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10000');
		expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
		expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^\d+(\.\d+)?(ms|s)$/);

		// records
		expect(ai.chatRequests).toHaveLength(1);
		const r = ai.chatRequests[0];
		expect(r).toMatchObject({ model: 'gpt-4o', store: false, temperature: 0.3, maxCompletionTokens: 300, user: 'hashed-user-1', stream: false, status: 200, organization: 'org-abc' });
		expect(r.tools).toBeUndefined();
		expect(r.toolChoice).toBeUndefined();
		expect(r.texts).toEqual(['You are a helpful assistant.', 'What is in these?']);
		expect(r.messages.map((m) => [m.role, m.text])).toEqual([['system', 'You are a helpful assistant.'], ['user', 'What is in these?']]);
		expect(r.images).toHaveLength(1);
		expect(r.images[0]).toMatchObject({ kind: 'data', mimeType: 'image/png', format: 'png', detail: 'high', width: 1024, height: 768, tokens: 765, sha256: sha256(png) });
		expect(r.images[0].bytes!.equals(png)).toBe(true);
		expect(r.files[0]).toMatchObject({ filename: 'invoice.pdf', mimeType: 'application/pdf', pages: 2, sha256: sha256(pdf) });
		expect(r.files[0].bytes!.equals(pdf)).toBe(true);
		expect(r.remoteUrls).toEqual([]);
		expect(r.id).toBe(completion.id);
		expect(r.usage).toEqual(completion.usage);
		expect(r.headers.authorization).toBe(`Bearer ${KEY}`);

		expect(ai.allReceivedText()).toContain('What is in these?');
		expect(ai.allReceivedText()).not.toContain('graph.facebook.com');
	});

	it('accepts http(s) image URLs but records them in remoteUrls', async () => {
		const ai = await start();
		await client(ai).chat.completions.create({
			model: 'gpt-4o-mini',
			messages: user([{ type: 'image_url', image_url: { url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1', detail: 'low' } }]),
		});
		expect(ai.chatRequests[0].remoteUrls).toEqual(['https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1']);
		expect(ai.chatRequests[0].images[0]).toMatchObject({ kind: 'remote', detail: 'low', tokens: 85 });
	});

	it('uses a custom responder (sync or async) and max_tokens truncation gives finish_reason length', async () => {
		const ai = await start({ responder: (r) => `Echo: ${r.texts.at(-1)}` });
		const openai = client(ai);
		const a = await openai.chat.completions.create({ model: 'gpt-4.1', messages: user('Olá, tudo bem?') });
		expect(a.choices[0].message.content).toBe('Echo: Olá, tudo bem?');
		expect(a.model).toBe('gpt-4.1-2025-04-14');

		ai.setResponder(async () => ({ content: 'x'.repeat(100) }));
		const b = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 5, messages: user('long please') });
		expect(b.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'x'.repeat(20) } });
		expect(b.usage!.completion_tokens).toBe(5);
		expect(ai.chatRequests[1].maxTokens).toBe(5);

		ai.setResponder(() => ({ refusal: "I'm sorry, I can't help with that." }));
		const c = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('bad') });
		expect(c.choices[0].message).toMatchObject({ content: null, refusal: "I'm sorry, I can't help with that." });

		ai.setResponder(() => {
			throw new Error('boom');
		});
		const err = await rejection(openai.chat.completions.create({ model: 'gpt-4o', messages: user('x') }));
		expect(err).toBeInstanceOf(OpenAI.InternalServerError);
		expect(err.type).toBe('server_error');
		expect(ai.responderErrors).toHaveLength(1);
	});

	it('streams SSE chunks the SDK reassembles, with include_usage', async () => {
		const ai = await start({ responder: () => 'Hello there, how can I help?' });
		const stream = await client(ai).chat.completions.create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: user('hi') });
		let text = '';
		let usage: OpenAI.CompletionUsage | null | undefined;
		let finish: string | null = null;
		for await (const chunk of stream) {
			expect(chunk.object).toBe('chat.completion.chunk');
			text += chunk.choices[0]?.delta.content ?? '';
			finish = chunk.choices[0]?.finish_reason ?? finish;
			if (chunk.usage) usage = chunk.usage;
		}
		expect(text).toBe('Hello there, how can I help?');
		expect(finish).toBe('stop');
		expect(usage?.total_tokens).toBeGreaterThan(0);
		expect(ai.chatRequests[0].stream).toBe(true);
	});

	it('simulates prompt caching: a repeated ≥1024-token prefix reports cached tokens in 128-token blocks', async () => {
		const ai = await start();
		const openai = client(ai);
		const system = 'You are the WhatsAuto assistant for a bakery. '.repeat(120); // ≈ 5 400 chars ≈ 1 350 tokens
		const ask = (q: string, sys = system) => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: sys }, { role: 'user', content: q }] });
		const first = await ask('When do you open?');
		expect(first.usage!.prompt_tokens).toBeGreaterThan(1024);
		expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
		const second = await ask('Do you sell sourdough?');
		const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
		expect(cached).toBeGreaterThanOrEqual(1024);
		expect(cached % 128).toBe(0);
		expect(cached).toBeLessThanOrEqual(second.usage!.prompt_tokens);
		expect(second.usage!.prompt_tokens - cached).toBeLessThan(128 + 20);
		// a different prefix is not cached; a short prompt never is
		expect((await ask('x', 'Different. ' + system)).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
		expect((await ask('x', 'short')).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
		expect((await ask('x', 'short')).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
	});
});

// ---------------------------------------------------------------- chat validation

describe('chat validation (real error bodies)', () => {
	it('unknown content part type → 400 BadRequestError invalid_value', async () => {
		const ai = await start();
		const err = await rejection(client(ai).chat.completions.create({ model: 'gpt-4o', messages: user([{ type: 'video', video: {} } as any]) }));
		expect(err).toBeInstanceOf(OpenAI.BadRequestError);
		expect(err.status).toBe(400);
		expect(err.error).toEqual({
			message: "Invalid value: 'video'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.",
			type: 'invalid_request_error',
			param: 'messages[0].content[0].type',
			code: 'invalid_value',
		});
		expect(ai.chatRequests[0]).toMatchObject({ status: 400, error: { code: 'invalid_value' } });
	});

	it('rejects bad roles, empty messages, unknown arguments, out-of-range params, images outside user messages', async () => {
		const ai = await start();
		const openai = client(ai);
		const cases: [any, number, string | null, string][] = [
			[{ model: 'gpt-4o', messages: [{ role: 'bot', content: 'x' }] }, 400, 'invalid_value', 'messages[0].role'],
			[{ model: 'gpt-4o', messages: [] }, 400, 'empty_array', 'messages'],
			[{ model: 'gpt-4o', messages: user('x'), foo: 1 }, 400, null, 'Unrecognized request argument supplied: foo'],
			[{ model: 'gpt-4o', messages: user('x'), temperature: 3 }, 400, 'decimal_above_max_value', 'temperature'],
			[{ model: 'gpt-4o', messages: [{ role: 'user', content: 5 }] }, 400, 'invalid_type', 'messages[0].content'],
			[{ model: 'gpt-4o', messages: [{ role: 'user' }] }, 400, 'missing_required_parameter', 'messages[0].content'],
			[{ model: 'gpt-4o', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, 400, 'invalid_value', 'messages[0]'],
			[{ model: 'gpt-4o', messages: user('x'), max_tokens: 100_000 }, 400, 'invalid_value', 'max_tokens'],
			[{ model: 'nope-1', messages: user('x') }, 404, 'model_not_found', 'The model `nope-1` does not exist'],
			[{ model: 'whisper-1', messages: user('x') }, 404, null, 'This is not a chat model'],
		];
		for (const [body, status, code, where] of cases) {
			const err = await rejection(openai.chat.completions.create(body));
			expect({ body, status: err.status, code: err.code }).toEqual({ body, status, code });
			expect(`${err.param} ${err.message}`).toContain(where);
		}
	});

	it('validates image data URLs (mime, base64, real image bytes) and PDF file parts', async () => {
		const ai = await start();
		const openai = client(ai);
		const img = (url: string) => openai.chat.completions.create({ model: 'gpt-4o', messages: user([{ type: 'image_url', image_url: { url } }]) });
		const file = (file: any) => openai.chat.completions.create({ model: 'gpt-4o', messages: user([{ type: 'file', file }]) });

		let err = await rejection(img('data:image/svg+xml;base64,PHN2Zz48L3N2Zz4='));
		expect(err.error.message).toBe(
			"Invalid 'messages[0].content[0].image_url.url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type 'image/svg+xml'.",
		);
		err = await rejection(img('data:image/png;base64,@@not base64@@'));
		expect(err.error.message).toContain('but got an invalid base64-encoded value');
		err = await rejection(img(dataUrl('image/jpeg', Buffer.from('definitely not a jpeg'))));
		expect(err.error).toMatchObject({ code: 'invalid_image_format', message: expect.stringContaining("['png', 'jpeg', 'gif', 'webp']") });

		err = await rejection(file({ file_data: dataUrl('application/pdf', samplePdf()) }));
		expect(err.error).toMatchObject({ code: 'missing_required_parameter', param: 'messages[0].content[0].file.file_id' });
		err = await rejection(file({ filename: 'a.docx', file_data: dataUrl('application/msword', Buffer.from('x')) }));
		expect(err.error.message).toContain("Invalid file data: 'messages[0].content[0].file.file_data'");
		err = await rejection(file({ filename: 'a.pdf', file_data: dataUrl('application/pdf', Buffer.from('not a pdf')) }));
		expect(err).toBeInstanceOf(OpenAI.BadRequestError);
	});

	it('context window: natural context_length_exceeded and an injected one', async () => {
		const ai = await start({ contextWindow: 200 });
		const openai = client(ai);
		let err = await rejection(openai.chat.completions.create({ model: 'gpt-4o', messages: user('word '.repeat(400)) }));
		expect(err.error).toMatchObject({ code: 'context_length_exceeded', param: 'messages', type: 'invalid_request_error' });
		expect(err.error.message).toMatch(/^This model's maximum context length is 200 tokens\. However, your messages resulted in \d+ tokens\./);
		ai.inject({ error: 'context_length' });
		err = await rejection(openai.chat.completions.create({ model: 'gpt-4o', messages: user('short') }));
		expect(err.code).toBe('context_length_exceeded');
		await openai.chat.completions.create({ model: 'gpt-4o', messages: user('short') }); // times: 1
	});
});

// ---------------------------------------------------------------- audio

describe('audio transcriptions', () => {
	it('transcribes an ogg voice note sent with toFile, recording the exact bytes', async () => {
		const ai = await start();
		const ogg = sampleAudio('ogg', 4, 7);
		ai.setTranscript(sha256(ogg), 'Olá, queria marcar uma consulta.');
		const openai = client(ai);
		const t = await openai.audio.transcriptions.create({ file: await toFile(ogg, 'voice.ogg', { type: 'audio/ogg' }), model: 'gpt-4o-transcribe', language: 'pt' });
		expect(t.text).toBe('Olá, queria marcar uma consulta.');
		expect(t.usage).toEqual({ type: 'tokens', input_tokens: 40, input_token_details: { text_tokens: 0, audio_tokens: 40 }, output_tokens: 8, total_tokens: 48 });
		const r = ai.transcriptionRequests[0];
		expect(r).toMatchObject({ model: 'gpt-4o-transcribe', filename: 'voice.ogg', contentType: 'audio/ogg', language: 'pt', responseFormat: 'json', status: 200, sha256: sha256(ogg) });
		expect(r.bytes.equals(ogg)).toBe(true);

		// default transcript (derived from size), whisper-1 json carries duration usage; text and verbose_json formats
		const other = sampleAudio('ogg', 2);
		const w = await openai.audio.transcriptions.create({ file: await toFile(other, 'a.ogg'), model: 'whisper-1' });
		expect(w).toEqual({ text: `Transcript of a ${other.length}-byte ogg recording.`, usage: { type: 'duration', seconds: 2 } });
		const plain = await openai.audio.transcriptions.create({ file: await toFile(other, 'a.ogg'), model: 'whisper-1', response_format: 'text' });
		expect(plain).toBe(`Transcript of a ${other.length}-byte ogg recording.\n`);
		const verbose = await openai.audio.transcriptions.create({ file: await toFile(other, 'a.ogg'), model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
		expect(verbose).toMatchObject({ task: 'transcribe', language: 'english', duration: 2, segments: [expect.objectContaining({ id: 0, start: 0, end: 2 })] });

		// WhatsApp-style voice note: non-ASCII filename with a quote, codecs parameter in the content type
		await openai.audio.transcriptions.create({ file: await toFile(ogg, 'nota "de" voz ção.ogg', { type: 'audio/ogg; codecs=opus' }), model: 'whisper-1' });
		expect(ai.transcriptionRequests.at(-1)).toMatchObject({ filename: 'nota "de" voz ção.ogg', contentType: 'audio/ogg; codecs=opus', text: 'Olá, queria marcar uma consulta.' });
	});

	it('rejects unsupported formats, corrupt audio, wrong models and incompatible response formats', async () => {
		const ai = await start();
		const openai = client(ai);
		let err = await rejection(openai.audio.transcriptions.create({ file: await toFile(sampleAudio('ogg'), 'voice.opus'), model: 'whisper-1' }));
		expect(err).toBeInstanceOf(OpenAI.BadRequestError);
		expect(err.message).toBe("400 Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']");
		err = await rejection(openai.audio.transcriptions.create({ file: await toFile(Buffer.from('hello world, not audio'), 'voice.ogg'), model: 'whisper-1' }));
		expect(err.message).toBe('400 Audio file might be corrupted or unsupported');
		err = await rejection(openai.audio.transcriptions.create({ file: await toFile(sampleAudio('wav', 1), 'a.wav'), model: 'gpt-4o' }));
		expect(err.code).toBe('invalid_value');
		err = await rejection(openai.audio.transcriptions.create({ file: await toFile(sampleAudio('mp3', 1), 'a.mp3'), model: 'gpt-4o-mini-transcribe', response_format: 'srt' }));
		expect(err.param).toBe('response_format');
		err = await rejection(openai.audio.transcriptions.create({ file: await toFile(sampleAudio('mp3', 1), 'a.mp3'), model: 'whisper-1', language: 'english' }));
		expect(err.message).toContain('ISO-639-1');
		expect(ai.transcriptionRequests.map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);
	});

	it('uploads over 25 MiB → 413 with the real message', async () => {
		const ai = await start();
		const big = Buffer.concat([sampleAudio('mp3', 1), Buffer.alloc(26 * 1024 * 1024)]);
		const err = await rejection(client(ai, { timeout: 20_000 }).audio.transcriptions.create({ file: await toFile(big, 'big.mp3'), model: 'whisper-1' }));
		expect(err.status).toBe(413);
		expect(err.type).toBe('server_error');
		expect(err.message).toMatch(/^413 Maximum content size limit \(26214400\) exceeded \(\d+ bytes read\)$/);
	});
});

// ---------------------------------------------------------------- auth and errors

describe('auth and injected failures', () => {
	it('wrong key → AuthenticationError with the masked key; missing key → 401; org mismatch → 401', async () => {
		const ai = await start({ organization: 'org-right' });
		const wrong = 'sk-wrong-9999999999999999999999999999999999zzzz';
		const err = await rejection(new OpenAI({ apiKey: wrong, baseURL: ai.baseUrl, maxRetries: 0, timeout: 5_000 }).models.list());
		expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
		expect(err.error).toEqual({
			message: `Incorrect API key provided: ${maskKey(wrong)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
			type: 'invalid_request_error',
			param: null,
			code: 'invalid_api_key',
		});
		expect(maskKey(wrong)).toMatch(/^sk-wrong\*+zzzz$/);
		expect(maskKey(wrong)).toHaveLength(wrong.length);

		const res = await fetch(`${ai.baseUrl}/models`, { signal: AbortSignal.timeout(5_000) });
		expect(res.status).toBe(401);
		expect(((await res.json()) as any).error.message).toMatch(/^You didn't provide an API key\./);

		const org = await rejection(client(ai, { organization: 'org-wrong' }).models.list());
		expect(org.code).toBe('mismatched_organization');
		expect(ai.chatRequests).toHaveLength(0);
	});

	it('injected 429 with retry-after → RateLimitError; with maxRetries 2 the SDK waits and succeeds', async () => {
		const ai = await start();
		ai.inject({ path: '/chat/completions', error: 'rate_limit', retryAfterSeconds: 0.05 });
		const err = await rejection(client(ai).chat.completions.create({ model: 'gpt-4o', messages: user('hi') }));
		expect(err).toBeInstanceOf(OpenAI.RateLimitError);
		expect(err.code).toBe('rate_limit_exceeded');
		expect(err.type).toBe('requests');
		expect(err.headers.get('retry-after')).toBe('0.05');
		expect(err.headers.get('retry-after-ms')).toBe('50');
		expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
		expect(err.message).toMatch(/^429 Rate limit reached for gpt-4o-2024-08-06 in organization org-\w+ on requests per min \(RPM\)/);

		const handle = ai.inject({ path: '/chat/completions', error: 'rate_limit', retryAfterMs: 30, times: 2 });
		const t0 = Date.now();
		const ok = await client(ai, { maxRetries: 2 }).chat.completions.create({ model: 'gpt-4o', messages: user('hi') });
		expect(ok.choices[0].finish_reason).toBe('stop');
		expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
		expect(handle.hits).toBe(2);
		const attempts = ai.requests.filter((r) => r.path === '/v1/chat/completions').slice(1);
		expect(attempts.map((r) => [r.status, r.injected, r.headers['x-stainless-retry-count']])).toEqual([
			[429, 'rate_limit', '0'],
			[429, 'rate_limit', '1'],
			[200, undefined, '2'],
		]);
	});

	it('insufficient_quota, 500, 502 (HTML), 503 and unsupported region map to the SDK error classes', async () => {
		const ai = await start();
		const openai = client(ai);
		const call = () => rejection(openai.chat.completions.create({ model: 'gpt-4o', messages: user('hi') }));
		ai.inject({ error: 'insufficient_quota' });
		expect(await call()).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
		ai.inject({ error: 'server_error' });
		let err = await call();
		expect(err).toBeInstanceOf(OpenAI.InternalServerError);
		expect(err.message).toContain(`(Please include the request ID ${err.requestID} in your email.)`);
		ai.inject({ error: 'bad_gateway' });
		err = await call();
		expect(err.status).toBe(502);
		expect(err.message).toContain('502 Bad Gateway');
		ai.inject({ error: 'overloaded' });
		expect(await call()).toMatchObject({ status: 503, type: 'server_error' });
		ai.inject({ error: 'unsupported_region' });
		expect(await call()).toBeInstanceOf(OpenAI.PermissionDeniedError);
	});

	it('natural per-model rate limits: RPM exhaustion → 429 with retry-after, recovers after a minute', async () => {
		let now = 1_750_000_000_000;
		const ai = await start({ rateLimits: { requestsPerMinute: 2 }, now: () => now });
		const openai = client(ai);
		await openai.chat.completions.create({ model: 'gpt-4o', messages: user('1') });
		await openai.chat.completions.create({ model: 'gpt-4o', messages: user('2') });
		await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: user('other model, own bucket') });
		const err = await rejection(openai.chat.completions.create({ model: 'gpt-4o', messages: user('3') }));
		expect(err).toBeInstanceOf(OpenAI.RateLimitError);
		expect(err.message).toContain('Limit 2, Used 2, Requested 1. Please try again in 1m0s.');
		expect(err.headers.get('retry-after')).toBe('60');
		now += 60_000;
		await openai.chat.completions.create({ model: 'gpt-4o', messages: user('4') });
	});

	it('timeout: the request hangs until the SDK gives up (APIConnectionTimeoutError); close() releases it', async () => {
		const ai = await start();
		ai.inject({ error: 'timeout', path: '/chat/completions' });
		const t0 = Date.now();
		const err = await rejection(client(ai, { timeout: 300 }).chat.completions.create({ model: 'gpt-4o', messages: user('hi') }));
		expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
		expect(Date.now() - t0).toBeLessThan(3_000);
		const rec = await ai.waitFor('requests', (r) => r.aborted === true, 2_000);
		expect(rec).toMatchObject({ status: 0, injected: 'timeout' });

		// a hang that the client does not abort is released by close()
		ai.inject({ error: 'timeout' });
		const pending = rejection(client(ai, { timeout: 20_000 }).models.list());
		await ai.waitFor('requests', (r) => r.injected === 'timeout' && !r.aborted, 2_000);
		const c0 = Date.now();
		await ai.close();
		expect(Date.now() - c0).toBeLessThan(2_000);
		expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
	});

	it('documents the Jest realm quirk: without realmSafeFetch a client timeout surfaces as APIConnectionError', async () => {
		const ai = await start();
		ai.inject({ error: 'timeout' });
		const err = await rejection(new OpenAI({ apiKey: KEY, baseURL: ai.baseUrl, maxRetries: 0, timeout: 200 }).models.list());
		expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
		expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError); // in plain Node (n8n) it is a timeout error
	});

	it('slow answers (delayMs) and connection resets', async () => {
		const ai = await start();
		ai.inject({ delayMs: 150 });
		const t0 = Date.now();
		await client(ai).models.list();
		expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
		ai.inject({ error: 'reset' });
		const err = await rejection(client(ai).models.list());
		expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
		expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
	});
});

// ---------------------------------------------------------------- misc

describe('bookkeeping', () => {
	it('records are bounded; reset() forgets them', async () => {
		const ai = await start({ maxRecords: 3 });
		const openai = client(ai);
		for (let i = 0; i < 5; i++) await openai.chat.completions.create({ model: 'gpt-4o', messages: user(`m${i}`) });
		expect(ai.chatRequests.map((r) => r.texts[0])).toEqual(['m2', 'm3', 'm4']);
		expect(ai.requests).toHaveLength(3);
		ai.reset();
		expect(ai.chatRequests).toHaveLength(0);
		expect(ai.allReceivedText()).toBe('');
	});

	it('sample files pass the sniffers', () => {
		expect(sniffImage(samplePng(3, 2))).toEqual({ format: 'png', width: 3, height: 2 });
		expect(sniffPdf(samplePdf(['a', 'b', 'c']))).toEqual({ pages: 3 });
		for (const f of ['ogg', 'flac', 'wav', 'mp3', 'mp4', 'webm'] as const) expect(sniffAudio(sampleAudio(f, 1))).toBe(f);
	});
});
