/**
 * What the auto-responder template promises about privacy, checked where the data could end up: n8n's own
 * database (every table and column, soft-deleted executions included, and the raw database and WAL bytes), every
 * other file in n8n's user folder (binary data, event logs…), n8n's log output, and the WhatsAuto store.
 *
 * Every message, caption, transcript, PDF and image carries a distinctive marker (ZEBRA-…). n8n must never hold one
 * — while the Auto-Reply waits for the model ("during"), once the execution ended ("right after") and after n8n
 * restarted ("later"). The store may hold content only encrypted, deletes it once the message is answered, and
 * holds pseudonyms, never a phone number. What stays is the conversation memory the template turns on: each answered
 * turn, encrypted, under a `mem:` reference that expires 24 h after it was written, and none of a person who had
 * their data erased.
 *
 * The template's conversation gate hands a customer's quick messages on together: messages sent within 3 s of
 * each other are one turn, answered with one model call and one reply.
 */
import { userPreferencesChange, msg, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import { samplePdf, samplePng, sampleAudio } from '../../devkit/fakes/openai';
import { deriveKeys, pseudonymise } from '../../nodes/shared/crypto';
import {
	ACCOUNT,
	expectOnlyMemory,
	MARKER_PATTERN,
	marker,
	scanN8n,
	scanStore,
	sentText,
	STORE_SECRET,
	storeOccurrences,
	useTemplatesEnv,
	waitUntil,
	WORKFLOW_IDS,
	type Json,
	type TemplatesEnv,
} from './templates-env';

jest.setTimeout(300_000);

const WF = WORKFLOW_IDS.autoResponder;

const textOf = sentText;
const subjectOf = (waId: string) => pseudonymise(deriveKeys(STORE_SECRET).pseudonymKey, waId);
/** Before anything was written to the store: memory rows expire no earlier than 24 h after this. */
const suiteStart = Date.now();

describe('template privacy: no message content in n8n, only encrypted and short-lived in the store', () => {
	let env: TemplatesEnv;
	/** Every marker and media file sent in; plus the markers of the replies (they echo what the customer wrote). */
	const needles: Array<string | Buffer> = [];
	const customers = { alice: '447700966001', bob: '447700966002', carol: '447700966003' };

	useTemplatesEnv({ activate: ['autoResponder'] }, (started) => (env = started));

	const deliver = async (input: WebhookMessage | WebhookMessage[]) => {
		const results = await env.deliver(input);
		expect(results.map((r) => r.status)).toEqual([200]);
	};
	/** Markers the fake model echoed into replies (and its own REPLY markers): sent to Meta, never kept by n8n. */
	const replyMarkers = () => env.graph.sent.flatMap((s) => textOf(s).match(MARKER_PATTERN) ?? []);
	const expectNoLeak = (when: string) => {
		const all = [...needles, ...replyMarkers()];
		const n8n = scanN8n(env, all);
		expect({ when, findings: n8n.findings }).toEqual({ when, findings: [] });
		// the scan looked where it should
		expect(n8n.tables).toEqual(expect.arrayContaining(['execution_entity', 'execution_data', 'execution_metadata', 'workflow_entity']));
		expect(n8n.files.some((f) => f.endsWith('database.sqlite'))).toBe(true);
		return all.length;
	};
	const contentRows = () => env.store('SELECT ref, contact_key, length(data) AS size FROM content');
	/**
	 * After answering, the content table holds the memory's turns only (encrypted, 24 h), one per answered turn of the
	 * customers given, and none of anyone else (Carol had hers erased).
	 */
	const expectMemoryOf = (turns: Partial<Record<keyof typeof customers, number>>) => {
		const memory = expectOnlyMemory(env, suiteStart);
		for (const [name, waId] of Object.entries(customers)) {
			const count = turns[name as keyof typeof customers] ?? 0;
			expect({ name, turns: memory.filter((r) => r.contactKey === subjectOf(waId)).length }).toEqual({ name, turns: count });
		}
		expect(memory).toHaveLength(Object.values(turns).reduce((a, b) => a + (b ?? 0), 0));
	};

	it('during: while the Auto-Reply waits for the model, n8n holds no content; the store holds it encrypted', async () => {
		const text = marker('DURINGTEXT');
		const caption = marker('DURINGCAPTION');
		const imageMarker = marker('DURINGIMAGE');
		const imageBytes = Buffer.concat([samplePng(3, 3), Buffer.from(imageMarker)]);
		needles.push(text, caption, imageMarker, imageBytes);
		const image = env.graph.addMedia({ bytes: imageBytes, mimeType: 'image/png' });

		const release = env.holdModel();
		try {
			await deliver(msg.text(customers.alice, `My order number is lost, can you help? ${text}`));
			await deliver(msg.image(customers.alice, image, { caption }));
			// one turn (sent within the gate's 3 s): its execution is inside the Auto-Reply, waiting for the model's
			// answer to the text and the photo together
			const held = await waitUntil('the turn’s chat request in flight', () => env.ai.chatRequests.find((r) => r.status === 0));
			expect(JSON.stringify(held.body)).toContain(text);
			expect(JSON.stringify(held.body)).toContain(caption);
			expect(held.images).toHaveLength(1);
			const running = env.executionRows(WF).filter((r) => !r.ended);
			expect(running.length).toBeGreaterThanOrEqual(1);

			expect(expectNoLeak('during')).toBeGreaterThan(0);
			// the content is in the store, encrypted (text and image: three rows), and in plaintext nowhere
			expect(contentRows().length).toBeGreaterThanOrEqual(3);
			expect(scanStore(env, needles).findings).toEqual([]);
		} finally {
			release();
		}
		await env.waitForSent(customers.alice, 1);
		await env.waitForDrained(WF);
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		expect(env.sentTo(customers.alice)).toHaveLength(1);
		expect(env.ai.chatRequests).toHaveLength(1);
	});

	it('right after: the executions ended, n8n holds none of it and the store has deleted it (memory aside: one encrypted turn)', async () => {
		expectNoLeak('right after');
		expectMemoryOf({ alice: 1 });
		// what the scan read: n8n kept the executions, soft-deleted, with the data written when they started
		// (the trigger's items: ids, metadata and a contentRef)
		const kept = env.n8nQuery(
			'SELECT e.id, e.deletedAt, d.data FROM execution_entity e JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ?',
			WF,
		);
		expect(kept.length).toBeGreaterThanOrEqual(1);
		for (const row of kept) {
			expect(row.deletedAt).not.toBeNull();
			expect(String(row.data)).toContain('contentRef');
		}
	});

	it('every kind of content, privacy commands included, leaves nothing in n8n and nothing readable in the store', async () => {
		const m = {
			sticker: marker('STICKER'),
			voice: marker('VOICE'),
			video: marker('VIDEO'),
			videoCaption: marker('VIDEOCAPTION'),
			pdf: marker('PDF'),
			pdfCaption: marker('PDFCAPTION'),
			docx: marker('DOCX'),
			location: marker('LOCATION'),
			address: marker('ADDRESS'),
			contact: marker('CONTACT'),
			choice: marker('CHOICE'),
			button: marker('BUTTON'),
			order: marker('ORDER'),
			silenced: marker('SILENCED'),
			question: marker('QUESTION'),
			name: marker('NAME'),
			quoted: marker('QUOTED'),
		};
		const stickerBytes = Buffer.concat([Buffer.from('RIFF\x30\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0\x3f\0\0\x3f\0\0', 'latin1'), Buffer.from(m.sticker)]);
		const voiceBytes = Buffer.concat([sampleAudio('ogg', 2, 7), Buffer.from('privacy-voice')]);
		const videoBytes = Buffer.concat([sampleAudio('mp4', 2, 9), Buffer.from('privacy-video')]);
		const pdfBytes = samplePdf([`Statement ${m.pdf}`]);
		const docxBytes = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from(`docx ${m.docx}`)]);
		const transcripts = { voice: `Please call me back about ${m.voice}`, video: `This video shows ${m.video}` };
		needles.push(...Object.values(m), stickerBytes, voiceBytes, videoBytes, pdfBytes, docxBytes, ...Object.values(transcripts));
		env.ai.setTranscript(voiceBytes, transcripts.voice);
		env.ai.setTranscript(videoBytes, transcripts.video);
		const g = env.graph;
		const bob = customers.bob;
		const batch: WebhookMessage[] = [
			msg.sticker(bob, g.addMedia({ bytes: stickerBytes, mimeType: 'image/webp' })),
			msg.audio(bob, g.addMedia({ bytes: voiceBytes, mimeType: 'audio/ogg; codecs=opus' })),
			msg.video(bob, g.addMedia({ bytes: videoBytes, mimeType: 'video/mp4' }), { caption: m.videoCaption }),
			msg.document(bob, g.addMedia({ bytes: pdfBytes, mimeType: 'application/pdf', filename: 'statement.pdf' }), { filename: 'statement.pdf', caption: m.pdfCaption }),
			msg.document(bob, g.addMedia({ bytes: docxBytes, mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', filename: 'letter.docx' }), {
				filename: 'letter.docx',
			}),
			msg.location(bob, { latitude: 48.8584, longitude: 2.2945, name: m.location, address: m.address }),
			msg.contacts(bob, [{ name: { formatted_name: m.contact } }]),
			msg.buttonReply(bob, { id: 'yes', title: m.choice }),
			msg.button(bob, { payload: 'MORE', text: m.button }),
			msg.order(bob, { catalog_id: '1', text: m.order, product_items: [{ product_retailer_id: 'SKU-1', quantity: 1, item_price: 5, currency: 'EUR' }] }),
			msg.reaction(bob, 'wamid.HBgLNDQ3NzAwOTY2MDAyFQIAERgSQUJDREVGMDEyMzQ1Njc4OQA=', '❤️'),
			msg.text(bob, `Replying to your offer: ${m.quoted}`, { context: { from: ACCOUNT.displayPhoneNumber, id: 'wamid.HBgLNDQ3NzAwOTY2MDAyFQIAERgSQUJDREVGMDEyMzQ1Njc4OQA=' } }),
		];
		const chatsBefore = env.ai.chatRequests.length;
		await deliver(batch);
		// one delivery from one customer: one turn, one model call with everything but the reaction (and the .docx,
		// which is named as unreadable), one reply
		await env.waitForSent(bob, 1);
		await env.waitForDrained(WF);
		expect(env.sentTo(bob)).toHaveLength(1);
		const bobsCalls = env.ai.chatRequests.slice(chatsBefore);
		expect(bobsCalls).toHaveLength(1);
		// the fake model echoes every marker it was given (texts, transcripts, image and PDF bytes)
		const bobsReply = textOf(env.sentTo(bob)[0]);
		for (const seen of [m.sticker, m.voice, m.video, m.videoCaption, m.pdf, m.pdfCaption, m.location, m.contact, m.choice, m.button, m.order, m.quoted]) {
			expect(bobsReply).toContain(seen);
		}
		expect(bobsReply).not.toContain(m.docx);

		// Carol: a question, then STOP, a message while stopped, START, a correction, "send me my data", "delete my data"
		const carol = customers.carol;
		await deliver(msg.text(carol, `Do you sell gift cards? ${m.question}`));
		await env.waitForSent(carol, 1);
		await deliver(msg.text(carol, 'STOP'));
		await env.waitForSent(carol, 2);
		const silenced = msg.text(carol, `Are you still there? ${m.silenced}`);
		await deliver(silenced);
		await waitUntil('the silenced message to be settled', () => env.replyOutcome(silenced.id));
		await deliver(msg.text(carol, 'START'));
		await env.waitForSent(carol, 3);
		// a correction: the new name is what she typed, and Detect must not carry it into n8n's execution data
		await deliver(msg.text(carol, `change my name to ${m.name}`));
		await env.waitForSent(carol, 4);
		expect(textOf(env.sentTo(carol)[3])).toMatch(/^Your correction request PR-\d{8}-[A-Z2-9]{6} is complete\. We updated: name\./);
		await deliver(msg.text(carol, 'send me my data'));
		const [, , , , exportDocument] = await env.waitForSent(carol, 6);
		const mediaId = (exportDocument.body.document as { id: string }).id;
		expect(JSON.parse(env.graph.getMedia(mediaId)!.bytes.toString('utf8'))).toMatchObject({ profile: { name: m.name } });
		// "delete my data" asks first, with two reply buttons; Carol taps "Delete all my data" (an interactive
		// button_reply quoting the question, as WhatsApp sends it)
		await deliver(msg.text(carol, 'delete my data'));
		const [question] = (await env.waitForSent(carol, 7)).slice(6);
		expect(question.type).toBe('interactive');
		const { interactive } = question.body as { interactive: { type: string; action: { buttons: Array<{ reply: { id: string; title: string } }> } } };
		expect(interactive.type).toBe('button');
		const [confirm, cancel] = interactive.action.buttons.map((b) => b.reply);
		expect([confirm.title, cancel.title]).toEqual(['Delete all my data', 'Cancel']);
		expect(confirm.id).toMatch(/^whatsauto:erase:confirm:PR-\d{8}-[A-Z2-9]{6}$/);
		await deliver(msg.buttonReply(carol, confirm, { context: { from: ACCOUNT.displayPhoneNumber, id: question.id } }));
		await env.waitForSent(carol, 8);
		expect(textOf(env.sentTo(carol)[7])).toMatch(/^Your erasure request PR-/);
		expect(textOf(env.sentTo(carol)[7])).toContain(confirm.id.slice('whatsauto:erase:confirm:'.length));

		// Meta's own "stop marketing" inside WhatsApp arrives as a user_preferences event: an objection, no message
		const before = env.lastExecutionId();
		expect((await env.deliver([userPreferencesChange(ACCOUNT, customers.alice, 'stop')])).map((r) => r.status)).toEqual([200]);
		await env.waitForEnded(WF, 1, before);
		const objection = await waitUntil('the marketing objection', () =>
			env
				.store("SELECT value FROM records WHERE scope = 'privacy-request'")
				.map((r) => JSON.parse(String(r.value)) as Json)
				.find((r) => r.channel === 'meta_preferences'),
		);
		expect(objection).toMatchObject({ type: 'object', scope: 'marketing', state: 'completed' });
		expect(env.sentTo(customers.alice)).toHaveLength(1);

		await env.waitForDrained(WF);
		expectNoLeak('right after every kind of content');
		// Carol's one answered turn went with her erasure
		expectMemoryOf({ alice: 1, bob: 1 });
		expect(contentRows().length).toBe(2);
		expect(scanStore(env, [...needles, ...replyMarkers()]).findings).toEqual([]);
	});

	it('the store holds pseudonyms, never a phone number', async () => {
		const numbers = Object.values(customers);
		// not as typed, not with the "+" prefix, not as hex or base64, anywhere in the store's files
		expect(scanStore(env, [...numbers, ...numbers.map((n) => `+${n}`)], 'plain').findings).toEqual([]);
		const contactKeys = env.store("SELECT DISTINCT contact_key FROM records WHERE contact_key <> ''").map((r) => String(r.contact_key));
		expect(contactKeys.length).toBeGreaterThan(0);
		for (const key of contactKeys) expect(key).toMatch(/^[0-9a-f]{64}$/);
		// Carol asked for erasure: not even Meta's message ids, which carry the number in base64 (wamid.HBgM<number>…)
		expect(storeOccurrences(env, customers.carol)).toEqual([]);
	});

	it('the Auto-Reply’s outcome records keep the ids Meta gave its replies only as keyed hashes: no encoding of a number anywhere', () => {
		// Wamids carry the number in base64 (wamid.HBgM<number>…): reply records keep `m:<HMAC>` references instead.
		for (const waId of [customers.alice, customers.bob]) expect(storeOccurrences(env, waId)).toEqual([]);
		const outcomes = env.store("SELECT value FROM records WHERE scope = 'reply'").map((r) => JSON.parse(String(r.value)) as Json);
		expect(outcomes.length).toBeGreaterThan(0);
		for (const outcome of outcomes) for (const id of outcome.graphMessageIds as string[]) expect(id).toMatch(/^m:[0-9a-f]{64}$/);
	});

	it('later: after n8n restarts, still nothing in n8n, nothing readable in the store', async () => {
		await env.n8n.restart();
		expectNoLeak('after restart');
		// and a message after the restart is answered and forgotten the same way
		const late = marker('AFTERRESTART');
		needles.push(late);
		await deliver(msg.text(customers.alice, `One more question: ${late}`));
		await env.waitForSent(customers.alice, 2);
		await env.waitForDrained(WF);
		expectNoLeak('after restart and one more message');
		expectMemoryOf({ alice: 2, bob: 1 });
		expect(scanStore(env, [...needles, ...replyMarkers()]).findings).toEqual([]);
	});
});
