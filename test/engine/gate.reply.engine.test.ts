/**
 * The conversation gate end to end inside n8n-core: signed webhook calls into the WhatsAuto Trigger (gate on), its
 * `trigger()` handing the burst on, the Auto-Reply answering it against the fake Graph API and fake OpenAI.
 */
import { ACCOUNT, sentTexts, startReplyRig, WA, type ReplyRig } from './reply-harness';

import { envelope, messagesChange, msg } from '../../devkit/fakes/webhook-payloads';
import { startTrigger, until, type RunningTrigger } from './gate-harness';

jest.setTimeout(30_000);

const MODEL_ANSWER = 'Yes, blue mugs are in stock.';
let rig: ReplyRig;
let running: RunningTrigger | undefined;

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: () => MODEL_ANSWER } });
});

afterEach(async () => {
	await running?.stop();
	await running?.settled();
	running = undefined;
});

afterAll(async () => {
	await rig.close();
});

describe('Trigger (conversation gate) → Auto-Reply', () => {
	it('answers a burst of 3 inside the window with 1 execution, 1 model call and 1 reply quoting the last message', async () => {
		rig.resetFakes();
		const chain = rig.chainWorkflow({ triggerParameters: { options: { conversationGate: true, gateDebounceSeconds: 0.4 } }, options: { quoteMessage: true } });
		running = await startTrigger(chain.workflow, chain.start, rig.credentials);
		const burst = [msg.text(WA, 'hi'), msg.text(WA, 'do you have'), msg.text(WA, 'blue mugs?')];
		for (const m of burst) {
			const payload = envelope(ACCOUNT, [messagesChange(ACCOUNT, [m])]);
			rig.graph.noteInbound(payload);
			expect(await chain.post(payload)).toBe(200);
		}
		await until(() => running!.emitted.length > 0, 5000, 'the turn');
		await running.settled();
		await new Promise((r) => setTimeout(r, 700));
		expect(running.emitted).toHaveLength(1);
		expect(running.emitted[0].run?.status).toBe('success');
		expect(rig.ai.chatRequests).toHaveLength(1);
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: burst[2].id });

		// Meta redelivers the burst: nothing more is handed on or sent.
		for (const m of burst) expect(await chain.post(envelope(ACCOUNT, [messagesChange(ACCOUNT, [m])]))).toBe(200);
		await new Promise((r) => setTimeout(r, 700));
		expect(running.emitted).toHaveLength(1);
		expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
	});
});
