/**
 * The Auto-Reply answering a turn from the trigger's conversation gate (gate/turns.ts): one model call with every
 * message's text in order, one reply quoting the last message, the outcome recorded for each message.
 */
import { ACCOUNT, customerBlocks, sentTexts, startReplyRig, userText, WA, type ReplyRig } from './reply-harness';

import { toContentKeys } from '../../nodes/shared/store/access';
import { SCOPES } from '../../nodes/shared/store/scopes';

import { turnItem } from '../../nodes/shared/turns';
import { msg } from '../../devkit/fakes/webhook-payloads';
import { sampleAudio, samplePng } from '../../devkit/fakes/openai';

jest.setTimeout(30_000);

const MODEL_ANSWER = 'Yes, blue mugs are in stock.';
let rig: ReplyRig;

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: () => MODEL_ANSWER } });
});

afterAll(async () => {
	await rig.close();
});

beforeEach(() => rig.resetFakes());

describe('a turn (conversation gate)', () => {
	it('is answered with one model call and one reply, quoting the last message, once per message', async () => {
		const burst = [msg.text(WA, 'hi'), msg.text(WA, 'do you have'), msg.text(WA, 'blue mugs?')];
		const items = rig.inbound(burst);
		const turn = turnItem(items, WA);
		const { out } = await rig.runReply([turn], { options: { quoteMessage: true } });

		expect(rig.ai.chatRequests).toHaveLength(1);
		// Each message its own framed block, labelled with its position, in order.
		expect(customerBlocks(userText(rig.ai.chatRequests[0])).inside.map((block) => block.trim())).toEqual(['hi', 'do you have', 'blue mugs?']);
		expect(userText(rig.ai.chatRequests[0])).toMatch(/Message 1 of 3:[\s\S]*Message 2 of 3:[\s\S]*Message 3 of 3:/);
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: burst[2].id });
		expect(out[0]).toMatchObject({ status: 'replied' });

		// The turn again (a retried execution), or any of its messages alone: nothing more is sent.
		rig.resetFakes();
		const again = await rig.runReply([turn]);
		expect(again.out[0]).toMatchObject({ skipped: true, reason: 'duplicate' });
		const first = await rig.runReply([items[0]]);
		expect(first.out[0]).toMatchObject({ skipped: true, reason: 'duplicate', status: 'replied' });
		expect(rig.ai.chatRequests).toHaveLength(0);
		expect(sentTexts(rig.graph)).toEqual([]);
	});

	it('ending in a reaction is still answered, quoting the last message that gets an answer; a turn of reactions only is skipped', async () => {
		const question = msg.text(WA, 'are the blue mugs back in stock?');
		const burst = [question, msg.reaction(WA, question.id, '👍')];
		const { out } = await rig.runReply([turnItem(rig.inbound(burst), WA)], { options: { quoteMessage: true } });
		expect(out[0]).toMatchObject({ status: 'replied' });
		expect(rig.ai.chatRequests).toHaveLength(1);
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: question.id });

		rig.resetFakes();
		const reactions = [msg.reaction(WA, question.id, '👍'), msg.reaction(WA, question.id, '❤️')];
		const only = await rig.runReply([turnItem(rig.inbound(reactions), WA)]);
		expect(only.out[0]).toMatchObject({ status: 'skipped', reason: 'reaction' });
		expect(rig.ai.chatRequests).toHaveLength(0);
		expect(rig.graph.sent).toEqual([]);
	});

	it('looks at every message of the turn, media included: one model call with the image, the transcript and the text in order', async () => {
		const image = rig.graph.addMedia({ bytes: samplePng(2, 2), mimeType: 'image/png' });
		const ogg = sampleAudio('ogg', 2, 7);
		rig.ai.setTranscript(ogg, 'I want the one in the picture, in blue');
		const voice = rig.graph.addMedia({ bytes: ogg, mimeType: 'audio/ogg; codecs=opus' });
		const burst = [msg.image(WA, image, { caption: 'this mug' }), msg.audio(WA, voice), msg.text(WA, 'how much is it?')];
		const turn = turnItem(rig.inbound(burst), WA);
		const { out } = await rig.runReply([turn], { options: { quoteMessage: true } });

		expect(rig.ai.transcriptionRequests).toHaveLength(1);
		expect(rig.ai.chatRequests).toHaveLength(1);
		const request = rig.ai.chatRequests[0];
		expect(request.images).toHaveLength(1);
		// The user message's parts, in order: each message labelled with its position, then its content.
		const parts = (request.messages[1].content as Array<{ type: string; text?: string }>).map((p) => (p.type === 'text' ? p.text! : `<${p.type}>`));
		const at = (needle: string) => parts.findIndex((p) => p.includes(needle));
		expect(at('Message 1 of 3:')).toBeGreaterThanOrEqual(0);
		expect(at('this mug')).toBeGreaterThan(at('Message 1 of 3:'));
		expect(at('<image_url>')).toBeGreaterThan(at('this mug'));
		expect(at('Message 2 of 3:')).toBeGreaterThan(at('<image_url>'));
		expect(at('in the picture, in blue')).toBeGreaterThan(at('Message 2 of 3:'));
		expect(at('Message 3 of 3:')).toBeGreaterThan(at('in the picture, in blue'));
		expect(at('how much is it?')).toBeGreaterThan(at('Message 3 of 3:'));
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: burst[2].id });
		expect(out[0]).toMatchObject({ status: 'replied', understood: { source: 'turn' } });
	});

	it('is taken over by a later hand-off when the execution holding it died: answered once, not left "in progress"', async () => {
		const sent = [msg.text(WA, 'are you open on Sunday?')];
		const handedOn = (lease: string) => {
			const items = rig.inbound(sent).map((item) => ({ ...item, json: { ...item.json, gateLease: lease } }));
			return turnItem(items, WA);
		};
		// the execution of the first hand-off died after taking the message's reply lease (a kill -9): its claim stays
		const store = await rig.store();
		const keys = toContentKeys(rig.storeCredential)!;
		const key = keys.pseudonymise(`${ACCOUNT.phoneNumberId}:${sent[0].id}`);
		expect(await store.claim(SCOPES.replyLease.name, `${key}:lease-1`, SCOPES.replyLease.lifetimeMs)).toBe(true);

		const same = await rig.runReply([handedOn('lease-1')]);
		expect(same.out[0]).toMatchObject({ skipped: true, reason: 'in_progress' });
		expect(sentTexts(rig.graph)).toEqual([]);

		const takeover = await rig.runReply([handedOn('lease-2')]);
		expect(takeover.out[0]).toMatchObject({ status: 'replied' });
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);

		const again = await rig.runReply([handedOn('lease-3')]);
		expect(again.out[0]).toMatchObject({ skipped: true, reason: 'duplicate' });
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
	});
});
