/**
 * WhatsAuto GPT-4 Auto-Reply in n8n-core's engine when things go wrong: OpenAI rate limits, outages and time
 * budgets (retries, then the fallback message), Graph API faults on send (retries, builder-friendly errors,
 * continueOnFail), the 24-hour customer-service window (old messages, synchronous and asynchronous 131047)
 * and media size caps.
 */
import {
	OPENAI_KEY,
	REPLY_NODE,
	replySuite,
	sentTexts,
	TRIGGER_NODE,
	WA,
	type ReplyRig,
} from './reply-harness';

import type { IDataObject } from 'n8n-workflow';

import type { FakeGraphApi } from '../../devkit/fakes/graph-api';
import { sampleAudio, samplePdf, samplePng } from '../../devkit/fakes/openai';
import { failedStatus, msg, status, wamid } from '../../devkit/fakes/webhook-payloads';

jest.setTimeout(30_000);

const MODEL_ANSWER = 'Yes, we deliver in Lisbon on weekdays.';
const FALLBACK = 'Thanks for your message! A person from Lucky Shrub will answer shortly.';
const TOO_LARGE = 'That file is too big for us — could you send a smaller one?';
const DAY_MS = 24 * 3600_000;
const TEMPLATE: IDataObject = {
	outsideWindow: 'template',
	templateName: 'follow_up',
	templateLanguage: 'pt_BR',
	templateParameters: 'Sheena\n\n  your order  \n',
};
const EXPECTED_TEMPLATE = {
	name: 'follow_up',
	language: { code: 'pt_BR' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: 'Sheena' }, { type: 'text', text: 'your order' }] }],
};

let rig: ReplyRig;
const { said, content: CONTENT } = replySuite(MODEL_ANSWER, {
	started: (started) => {
		rig = started;
		rig.credentialData.set('openai-bad', { apiKey: 'sk-test-revoked-key-000000000000', baseUrl: rig.ai.baseUrl });
	},
	beforeEachTest: () => {
		rig.graph.setWebhookTarget(undefined);
		rig.graph.setTokenExpired(false);
	},
});

const chatStatuses = () => rig.ai.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.status);
const textSends = (graph: FakeGraphApi = rig.graph) =>
	graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages')).map((r) => r.status);
const isText = ({ params }: { params: Record<string, unknown> }) => params.type === 'text';

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
	const started = Date.now();
	const value = await work();
	return { value, ms: Date.now() - started };
}

describe('OpenAI: retries, then the fallback message', () => {
	it('waits out a 429 with Retry-After and then replies', async () => {
		rig.ai.inject({ path: '/chat/completions', error: 'rate_limit', retryAfterSeconds: 1 });
		const { value: result, ms } = await timed(async () => await rig.runReply(rig.inbound([msg.text(WA, said('Do you deliver to Lisbon?'))])));
		expect(result.error).toBeUndefined();
		expect(chatStatuses()).toEqual([429, 200]);
		expect(ms).toBeGreaterThanOrEqual(900);
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(result.out[0]).toMatchObject({ status: 'replied', fallback: false });
	});

	it('sends the fallback after OpenAI keeps failing with 500 (retried), and says so in the output', async () => {
		rig.ai.inject({ path: '/chat/completions', error: 'server_error', times: Infinity });
		const result = await rig.runReply(rig.inbound([msg.text(WA, said('Is the shop open today?'))]), { options: { fallbackMessage: FALLBACK } });
		expect(result.error).toBeUndefined(); // an outage is not the builder's fault: no failed execution
		expect(chatStatuses()).toEqual([500, 500, 500, 500]);
		expect(sentTexts(rig.graph)).toEqual([FALLBACK]);
		expect(result.out[0]).toMatchObject({
			status: 'fallback',
			fallback: true,
			reason: 'model_failed',
			replies: [FALLBACK],
			error: 'OpenAI had a server error (HTTP 500).',
			graphMessageIds: [rig.graph.sent[0].id],
		});
	});

	it('sends the fallback when OpenAI does not answer within the model time budget', async () => {
		rig.ai.inject({ path: '/chat/completions', error: 'timeout', times: Infinity });
		const { value: result, ms } = await timed(
			async () => await rig.runReply(rig.inbound([msg.text(WA, said('Hello?'))]), { options: { modelBudgetSeconds: 5, fallbackMessage: FALLBACK } }),
		);
		expect(ms).toBeGreaterThanOrEqual(4_900);
		expect(ms).toBeLessThan(8_000);
		expect(sentTexts(rig.graph)).toEqual([FALLBACK]);
		expect(result.out[0]).toMatchObject({ status: 'fallback', fallback: true, error: 'The OpenAI request ran out of its time budget.' });
	});

	it('keeps to the time budget even when OpenAI asks to retry after longer than the budget', async () => {
		rig.ai.inject({ path: '/chat/completions', error: 'rate_limit', retryAfterSeconds: 9, times: Infinity });
		const { value: result, ms } = await timed(
			async () => await rig.runReply(rig.inbound([msg.text(WA, said('Anyone there?'))]), { options: { modelBudgetSeconds: 5, fallbackMessage: FALLBACK } }),
		);
		expect(ms).toBeLessThan(7_500);
		expect(sentTexts(rig.graph)).toEqual([FALLBACK]);
		expect(result.out[0]).toMatchObject({ status: 'fallback', fallback: true });
	});

	it('sends the fallback when the voice note cannot be transcribed', async () => {
		const ogg = sampleAudio('ogg', 2, 5);
		const media = rig.graph.addMedia({ bytes: ogg, mimeType: 'audio/ogg; codecs=opus' });
		rig.ai.inject({ path: '/audio/transcriptions', error: 'server_error', times: Infinity });
		const result = await rig.runReply(rig.inbound([msg.audio(WA, media)]), { options: { fallbackMessage: FALLBACK } });
		expect(result.error).toBeUndefined();
		expect(rig.ai.chatRequests).toHaveLength(0);
		expect(sentTexts(rig.graph)).toEqual([FALLBACK]);
		expect(result.out[0]).toMatchObject({ fallback: true, error: 'OpenAI had a server error (HTTP 500).' });
	});

	it('on a rejected API key sends the fallback to the customer and fails the node for the builder', async () => {
		const items = rig.inbound([msg.text(WA, said('Can I change my order?'))]);
		const result = await rig.runReply(items, { credentials: { whatsAutoOpenAiApi: 'openai-bad' }, options: { fallbackMessage: FALLBACK } });
		expect(chatStatuses()).toEqual([401]); // not retried
		expect(sentTexts(rig.graph)).toEqual([FALLBACK]);
		expect(result.error?.message).toBe(
			'OpenAI rejected the API key. Create a new key and update the WhatsAuto: OpenAI API credential. The customer received the fallback message.',
		);
		expect(rig.ai.allReceivedText({ headers: true })).not.toContain(OPENAI_KEY);

		// n8n retrying the failed execution must not send the fallback a second time
		const retried = await rig.runReply(items, { credentials: { whatsAutoOpenAiApi: 'openai-bad' } });
		expect(retried.error).toBeUndefined();
		expect(retried.out[0]).toMatchObject({ skipped: true, reason: 'duplicate', status: 'fallback' });
		expect(rig.graph.sent).toHaveLength(1);
	});

	it('with continueOnFail outputs the failure on the item instead of failing the execution', async () => {
		const result = await rig.runReply(rig.inbound([msg.text(WA, said('What is the return policy?'))]), {
			credentials: { whatsAutoOpenAiApi: 'openai-bad' },
			continueOnFail: true,
			options: { fallbackMessage: FALLBACK },
		});
		expect(result.error).toBeUndefined();
		expect(sentTexts(rig.graph)).toEqual([FALLBACK]);
		expect(result.out[0]).toMatchObject({ status: 'fallback', fallback: true, error: expect.stringContaining('OpenAI rejected the API key') });
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
	});
});

describe('Graph API faults on send', () => {
	it('retries a 5xx on send and then delivers once', async () => {
		const fault = rig.graph.inject({ path: '/messages', when: isText, error: 'server_error' });
		const result = await rig.runReply(rig.inbound([msg.text(WA, said('Any ferns left?'))]));
		expect(fault.hits).toBe(1);
		expect(result.error).toBeUndefined();
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(result.out[0]).toMatchObject({ status: 'replied', graphMessageIds: [rig.graph.sent[0].id] });
	});

	it('retries a 130429 throughput error honouring Retry-After', async () => {
		const fault = rig.graph.inject({ path: '/messages', when: isText, error: 'rate_limit', retryAfterSeconds: 1 });
		const { value: result, ms } = await timed(async () => await rig.runReply(rig.inbound([msg.text(WA, said('Price of a cactus?'))])));
		expect(fault.hits).toBe(1);
		expect(ms).toBeGreaterThanOrEqual(900);
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(result.out[0]).toMatchObject({ status: 'replied' });
	});

	it('fails the node with a builder-friendly message on an expired token (190), and a retry sends once', async () => {
		const items = rig.inbound([msg.text(WA, said('Where is my parcel?'))]);
		rig.graph.inject({ path: '/messages', when: isText, error: 'token_expired' });
		const result = await rig.runReply(items);
		expect(result.error).toBeDefined();
		expect(result.error!.message).toContain('The access token has expired or is invalid');
		expect(result.error!.message).toContain('Graph error 190');
		expect(result.error!.httpCode).toBe('401');
		expect(result.items).toEqual([]);
		expect(rig.graph.sent).toHaveLength(0);

		// nothing was sent, so the message is not marked answered: the retried execution replies, once
		const retried = await rig.runReply(items);
		expect(retried.error).toBeUndefined();
		expect(retried.out[0]).toMatchObject({ status: 'replied' });
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
	});

	it('with continueOnFail outputs an error item for the failed message and answers the others', async () => {
		const items = rig.inbound([msg.text(WA, said('First: token will fail')), msg.text('447700900123', said('Second: fine'))]);
		rig.graph.setTokenExpired(true);
		const first = await rig.runReply(items.slice(0, 1), { continueOnFail: true });
		rig.graph.setTokenExpired(false);
		const second = await rig.runReply(items.slice(1), { continueOnFail: true });

		expect(first.error).toBeUndefined();
		expect(first.out).toEqual([{ messageId: items[0].json.messageId, error: expect.stringContaining('access token has expired') }]);
		expect(first.items[0].pairedItem).toEqual({ item: 0 });
		expect(second.out[0]).toMatchObject({ status: 'replied', to: '447700900123' });
		expect(rig.graph.sent.map((s) => s.to)).toEqual(['447700900123']);
		// the failed mark-as-read was logged as a warning without content
		expect(rig.logs.some((l) => l.level === 'warn' && l.message.includes('could not mark the message as read'))).toBe(true);
	});

	it('with continueOnFail keeps going through a batch: error item, then a reply, each paired to its input', async () => {
		const items = rig.inbound([msg.text(WA, said('Batch one')), msg.text('447700900123', said('Batch two'))]);
		rig.graph.inject({ path: '/messages', when: (r) => r.params.type === 'text' && r.params.to === WA, error: 'token_expired' });
		const result = await rig.runReply(items, { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.out).toEqual([
			{ messageId: items[0].json.messageId, error: expect.stringContaining('Graph error 190') },
			expect.objectContaining({ messageId: items[1].json.messageId, status: 'replied' }),
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(rig.graph.sent.map((s) => s.to)).toEqual(['447700900123']);
	});
});

describe('the 24-hour customer-service window', () => {
	const old = () => ({ timestamp: new Date(Date.now() - DAY_MS - 3600_000) });

	it('sends the approved template (name, language, parameters) for a message older than 24 h, without the model', async () => {
		const items = rig.inbound([msg.text(WA, said('Sorry for the late reply, still interested'), old())]);
		const result = await rig.runReply(items, { options: TEMPLATE });
		expect(rig.ai.requests).toHaveLength(0);
		expect(rig.graph.readReceipts).toHaveLength(0);
		expect(rig.graph.sent).toHaveLength(1);
		expect(rig.graph.sent[0]).toMatchObject({ type: 'template', to: WA });
		expect(rig.graph.sent[0].body.template).toEqual(EXPECTED_TEMPLATE);
		expect(result.out[0]).toMatchObject({ status: 'template', reason: 'window_closed', fallback: true, graphMessageIds: [rig.graph.sent[0].id] });
	});

	it('sends nothing for a message older than 24 h when set to Skip', async () => {
		const result = await rig.runReply(rig.inbound([msg.text(WA, said('Old message'), old())]), { options: { outsideWindow: 'skip' } });
		expect(rig.ai.requests).toHaveLength(0);
		expect(rig.graph.requests).toHaveLength(0);
		expect(result.out[0]).toMatchObject({ status: 'skipped', skipped: true, reason: 'window_closed', graphMessageIds: [] });
	});

	it('sends no template in answer to an old reaction or system notice', async () => {
		const items = rig.inbound([msg.reaction(WA, wamid(WA, 'out'), '👍', old()), msg.system(WA, { newWaId: '16505550000' }, old())]);
		const result = await rig.runReply(items, { options: TEMPLATE });
		expect(rig.graph.requests).toHaveLength(0);
		expect(result.out.map((o) => o.reason)).toEqual(['reaction', 'system']);
	});

	describe('synchronous 131047 on send', () => {
		let strict: FakeGraphApi;
		beforeAll(async () => {
			strict = await rig.addGraph('meta-sync', { window131047: 'sync', pairRateLimit: false, globalRateLimit: false });
		});
		beforeEach(() => strict.reset());

		const closedItems = (text: string) => {
			const items = rig.inbound([msg.text(WA, said(text))], { graph: strict });
			strict.setLastInbound(WA, Date.now() - DAY_MS - 60_000); // Meta's view: the window closed a minute ago
			return items;
		};

		it('falls back to the template', async () => {
			const result = await rig.runReply(closedItems('Still there?'), { options: TEMPLATE, credentials: { whatsAutoMetaApi: 'meta-sync' } });
			expect(result.error).toBeUndefined();
			expect(textSends(strict)).toEqual([200, 400, 200]); // read receipt, the refused text, the template
			expect(strict.sent).toHaveLength(1);
			expect(strict.sent[0]).toMatchObject({ type: 'template', to: WA });
			expect(strict.sent[0].body.template).toEqual(EXPECTED_TEMPLATE);
			expect(result.out[0]).toMatchObject({ status: 'template', reason: 'window_closed', fallback: true, graphMessageIds: [strict.sent[0].id] });
			expect(rig.graph.requests).toHaveLength(0);
		});

		it('sends nothing more when set to Skip', async () => {
			const result = await rig.runReply(closedItems('Hello again'), { credentials: { whatsAutoMetaApi: 'meta-sync' } });
			expect(result.error).toBeUndefined();
			expect(strict.sent).toHaveLength(0);
			expect(result.out[0]).toMatchObject({ status: 'skipped', reason: 'window_closed', graphMessageIds: [] });
		});
	});

	describe('asynchronous 131047 (accepted, then a failed status)', () => {
		beforeEach(async () => {
			rig.graph.setWebhookTarget(await rig.webhookSink());
		});

		/** Replies to a message Meta thinks is outside the window; returns the failed status webhooks that follow. */
		async function replyIntoClosedWindow(text: string, options: IDataObject = {}, parts = 1) {
			const items = rig.inbound([msg.text(WA, said(text))]);
			rig.graph.setLastInbound(WA, Date.now() - DAY_MS - 60_000);
			const result = await rig.runReply(items, { options: { ...TEMPLATE, ...options } });
			expect(result.out[0]).toMatchObject({ status: 'replied' }); // Meta said 200
			expect(rig.graph.sent).toHaveLength(parts);
			const failed = await Promise.all(
				rig.graph.sent.map(
					async (sent) =>
						await rig.graph.waitFor('webhooks', (w) => w.kind === 'status' && w.statuses.some((s) => s.id === sent.id && s.status === 'failed'), 5_000),
				),
			);
			return { items, result, failed };
		}

		it('sends the template once when the failed status is fed back; a repeated status sends nothing', async () => {
			const { failed } = await replyIntoClosedWindow('Is my order ready?');
			const statusItems = rig.statusItems(failed[0].payload);
			expect(statusItems).toEqual([
				{ json: expect.objectContaining({ kind: 'status', status: 'failed', messageId: rig.graph.sent[0].id, errors: [expect.objectContaining({ code: 131047 })] }) },
			]);

			const first = await rig.runReply(statusItems, { options: TEMPLATE });
			expect(first.error).toBeUndefined();
			expect(rig.graph.sent.map((s) => s.type)).toEqual(['text', 'template']);
			expect(rig.graph.sent[1]).toMatchObject({ to: WA });
			expect(rig.graph.sent[1].body.template).toEqual(EXPECTED_TEMPLATE);
			expect(first.out[0]).toMatchObject({
				kind: 'status',
				status: 'template',
				reason: 'window_closed_async',
				fallback: true,
				graphMessageIds: [rig.graph.sent[1].id],
			});
			// message ids encode the customer's number: the store links them only through keyed hashes
			expect(first.out[0]).not.toHaveProperty('inReplyTo');

			const again = await rig.runReply(statusItems, { options: TEMPLATE });
			expect(again.out[0]).toMatchObject({ status: 'skipped', reason: 'duplicate' });
			expect(rig.graph.sent).toHaveLength(2);
		});

		it('sends one template, not one per part, when every part of a split reply fails', async () => {
			rig.ai.setResponder(() => Array.from({ length: 70 }, (_, i) => `Detail ${i + 1} of our delivery terms is explained in this sentence.`).join(' '));
			const { failed } = await replyIntoClosedWindow('Explain your delivery terms in detail', { maxReplyChars: 9000 }, 2);
			const statusItems = failed.flatMap((webhook) => rig.statusItems(webhook.payload));
			expect(statusItems).toHaveLength(2);
			const result = await rig.runReply(statusItems, { options: TEMPLATE });
			expect(result.error).toBeUndefined();
			expect(rig.graph.sent.filter((s) => s.type === 'template')).toHaveLength(1);
			expect(result.out.map((o) => [o.status, o.reason])).toEqual([
				['template', 'window_closed_async'],
				['skipped', 'duplicate'],
			]);
		});

		it('works when the trigger’s Statuses output feeds the failed status back into the node', async () => {
			const { failed } = await replyIntoClosedWindow('Chain me a template');
			const result = await rig.runChain(failed[0].payload, { triggerParameters: { emitStatuses: true }, connectStatuses: true, options: TEMPLATE });
			expect(result.error).toBeUndefined();
			expect(result.order).toEqual([TRIGGER_NODE, REPLY_NODE]);
			expect(result.out[0]).toMatchObject({ kind: 'status', status: 'template', reason: 'window_closed_async' });
			expect(rig.graph.sent.map((s) => s.type)).toEqual(['text', 'template']);
		});

		it('ignores statuses that are not a 131047 failure of a message it sent', async () => {
			const ours = wamid(WA, 'out');
			const payload = rig.statusEnvelope([status(ours, WA, 'delivered'), failedStatus(wamid(WA, 'out'), WA, 131047), failedStatus(ours, WA, 131026)]);
			const result = await rig.runReply(rig.statusItems(payload), { options: TEMPLATE });
			expect(result.out.map((o) => o.reason)).toEqual(['status', 'not_our_message', 'status']);
			expect(rig.graph.requests).toHaveLength(0);
		});
	});
});

describe('media size caps', () => {
	it('refuses a photo over the configured cap from Meta’s announced size, before downloading it', async () => {
		const big = Buffer.concat([samplePng(2, 2), Buffer.alloc(4_000, 7)]);
		const media = rig.graph.addMedia({ bytes: big, mimeType: 'image/png' });
		const result = await rig.runReply(rig.inbound([msg.image(WA, media, { caption: said('Here is the photo') })]), {
			options: { maxMediaMb: { image: 0.002 }, tooLargeReply: TOO_LARGE },
		});
		expect(rig.graph.requests.some((r) => r.path.endsWith(`/${media.id}`))).toBe(true); // asked Meta for the size…
		expect(rig.graph.requests.some((r) => r.path.includes('/whatsapp_business/attachments'))).toBe(false); // …and stopped
		expect(rig.ai.requests).toHaveLength(0);
		expect(sentTexts(rig.graph)).toEqual([TOO_LARGE]);
		expect(result.out[0]).toMatchObject({ status: 'replied', understood: { source: 'too_large' } });
	});

	it('refuses a voice note over the audio cap without transcribing it', async () => {
		const media = rig.graph.addMedia({ bytes: sampleAudio('ogg', 5), mimeType: 'audio/ogg; codecs=opus' });
		await rig.runReply(rig.inbound([msg.audio(WA, media)]), { options: { maxMediaMb: { audio: 0.005 }, tooLargeReply: TOO_LARGE } });
		expect(rig.ai.requests).toHaveLength(0);
		expect(sentTexts(rig.graph)).toEqual([TOO_LARGE]);
	});

	it('refuses a PDF over the document cap', async () => {
		const media = rig.graph.addMedia({ bytes: Buffer.concat([samplePdf(['x']), Buffer.alloc(3_000, 32)]), mimeType: 'application/pdf', filename: 'big.pdf' });
		await rig.runReply(rig.inbound([msg.document(WA, media, { filename: 'big.pdf' })]), { options: { maxMediaMb: { document: 0.001 }, tooLargeReply: TOO_LARGE } });
		expect(rig.ai.requests).toHaveLength(0);
		expect(sentTexts(rig.graph)).toEqual([TOO_LARGE]);
	});

	it('applies its own cap to media the trigger already downloaded into binary data', async () => {
		const png = Buffer.concat([samplePng(2, 2), Buffer.alloc(4_000, 9)]);
		const media = rig.graph.addMedia({ bytes: png, mimeType: 'image/png' });
		const payload = rig.envelopeFor([msg.image(WA, media, { caption: said('Trigger downloaded this') })]);
		rig.graph.noteInbound(payload);
		const result = await rig.runChain(payload, {
			triggerParameters: { options: { downloadMedia: true } },
			options: { maxMediaMb: { image: 0.002 }, tooLargeReply: TOO_LARGE },
		});
		expect(result.error).toBeUndefined();
		expect(rig.ai.requests).toHaveLength(0);
		expect(sentTexts(rig.graph)).toEqual([TOO_LARGE]);
		expect(result.out[0]).toMatchObject({ understood: { source: 'too_large' } });
	});
});

describe('logs', () => {
	it('never wrote message content to a log line or an error message', () => {
		expect(rig.logs.filter((line) => line.source === 'n8n').length).toBeGreaterThan(10);
		expect(rig.leaks(CONTENT)).toEqual([]);
	});
});
