/**
 * The Auto-Reply answering a turn from the trigger's conversation gate (gate/turns.ts): one model call with every
 * message's text in order, one reply quoting the last message, the outcome recorded for each message.
 */
import { customerBlocks, sentTexts, startReplyRig, userText, WA, type ReplyRig } from './reply-harness';

import { turnItem } from '../../nodes/shared/turns';
import { msg } from '../../devkit/fakes/webhook-payloads';

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
		expect(customerBlocks(userText(rig.ai.chatRequests[0])).inside.join('')).toContain('hi\ndo you have\nblue mugs?');
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
});
