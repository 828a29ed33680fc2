/**
 * The offline demo responder (sandbox/responder.ts) behind the fake OpenAI server, asked over the real wire
 * protocol the way the Auto-Reply node asks: a system prompt, with conversation memory the earlier turns
 * (each a framed "Earlier, the customer wrote:" user message and the reply we sent), then the current turn.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

import { realmSafeFetch, startFakeOpenAi, type FakeOpenAi } from '../../devkit/fakes/openai';
import { OFFLINE_LABEL, offlineReply } from '../../sandbox/responder';

const KEY = 'sk-sandbox-responder-test';
const SYSTEM = [
	'You are the WhatsApp customer-service assistant of Blue Door Ceramics. Be kind.',
	'',
	'Business knowledge (the only facts you may state about Blue Door Ceramics):',
	'<business_knowledge>',
	'Opening hours: Monday to Saturday, 9:00-18:00.',
	'Delivery: free over 50 EUR.',
	'</business_knowledge>',
].join('\n');

const framed = (label: string, text: string) => `${label}\n<customer_content>\n${text}\n</customer_content>`;
const earlier = (text: string, reply: string): ChatCompletionMessageParam[] => [
	{ role: 'user', content: framed('Earlier, the customer wrote:', text) },
	{ role: 'assistant', content: reply },
];
const turn = (text: string): ChatCompletionMessageParam => ({ role: 'user', content: [{ type: 'text', text: framed('The customer wrote:', text) }] });

describe('offline demo responder', () => {
	let ai: FakeOpenAi;
	let client: OpenAI;

	beforeAll(async () => {
		ai = await startFakeOpenAi({ apiKey: KEY, responder: offlineReply });
		client = new OpenAI({ apiKey: KEY, baseURL: ai.baseUrl, maxRetries: 0, timeout: 5_000, fetch: realmSafeFetch });
	});
	afterAll(async () => {
		await ai?.close();
	});

	async function reply(...messages: ChatCompletionMessageParam[]): Promise<string> {
		const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'system', content: SYSTEM }, ...messages] });
		return completion.choices[0].message.content ?? '';
	}

	it('without history: answers the current turn and says nothing about memory', async () => {
		const text = await reply(turn('When are you open?'));
		expect(text).toBe(
			`${OFFLINE_LABEL} Hi! You wrote: “When are you open?”\n\nFrom what Blue Door Ceramics told me:\n• Opening hours: Monday to Saturday, 9:00-18:00.`,
		);
		expect(text).not.toMatch(/remember/);
	});

	it('with history: counts the earlier turns, quotes the previous customer message, answers only the current turn', async () => {
		const text = await reply(
			...earlier('Hello there', `${OFFLINE_LABEL} Hi! You wrote: “Hello there”`),
			...earlier('Do you sell blue mugs?', `${OFFLINE_LABEL} Hi! You wrote: “Do you sell blue mugs?”`),
			turn('Do you deliver?'),
		);
		expect(text.startsWith(`${OFFLINE_LABEL} (I remember 2 earlier messages; you last said “Do you sell blue mugs?”.) Hi! You wrote: “Do you deliver?”`)).toBe(true);
		expect(text).toContain('• Delivery: free over 50 EUR.');
		expect(text).not.toContain('You wrote: “Hello there”');
		expect(text).not.toContain('Opening hours');
	});

	it('one earlier turn is "1 earlier message"; a long previous message is shortened', async () => {
		const long = `I would like to know ${'really '.repeat(20)}everything about your mugs`;
		const text = await reply(...earlier(long, 'Sure!'), turn('Thanks'));
		const prefix = `${OFFLINE_LABEL} (I remember 1 earlier message; you last said “`;
		expect(text.startsWith(prefix)).toBe(true);
		const said = text.slice(prefix.length, text.indexOf('”', prefix.length));
		expect(said).toHaveLength(60);
		expect(said.endsWith('…')).toBe(true);
		expect(long.startsWith(said.slice(0, -1))).toBe(true);
		expect(text).toContain('”.) Hi! You wrote: “Thanks”');
	});

	it('reads history however its label is worded, framed or not', async () => {
		const framedAsThen = await reply(
			{ role: 'user', content: `Earlier in this conversation:\n${framed('The customer wrote:', 'Do you sell blue mugs?')}` },
			{ role: 'assistant', content: 'Yes.' },
			turn('Great'),
		);
		expect(framedAsThen).toContain('(I remember 1 earlier message; you last said “Do you sell blue mugs?”.)');
		const photo = await reply(
			{ role: 'user', content: 'Earlier in this conversation:\n[a photo, shown to the assistant then]' },
			{ role: 'assistant', content: 'Nice photo.' },
			turn('Great'),
		);
		expect(photo).toContain('(I remember 1 earlier message; you last said “[a photo, shown to the assistant then]”.)');
	});

	it('is deterministic: the same request gets the same reply', async () => {
		const messages = [...earlier('Do you sell blue mugs?', 'Yes.'), turn('How much are they?')];
		expect(await reply(...messages)).toBe(await reply(...messages));
		const [first, second] = ai.chatRequests.slice(-2);
		expect(offlineReply(first)).toBe(offlineReply(second));
	});
});
