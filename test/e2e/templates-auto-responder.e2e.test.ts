/**
 * The "WhatsApp GPT-4 auto-responder" template (workflows/whatsapp-gpt4-auto-responder.json) in a real n8n 2.41.1:
 * imported and published through n8n's CLI with the other two templates, Meta played by the fake Graph API
 * (signed deliveries to n8n's real production webhook URL), OpenAI by the fake OpenAI.
 *
 * Every inbound message type gets the right answer, duplicates and batches behave, forged deliveries start
 * nothing, and privacy commands sent on WhatsApp are handled before the AI sees them. The template's Conversation
 * settings: the first reply to each customer starts with the AI disclosure, the model gets the earlier turns
 * (kept encrypted in the store for 24 h), "human" hands the customer to a person, a reply from the WhatsApp Business
 * app pauses the AI, "reset" clears the memory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { conversationText } from '../../nodes/shared/conversation/messages';
import { deriveKeys, pseudonymise } from '../../nodes/shared/crypto';
import { DEFAULTS, LIMIT_DEFAULTS } from '../../nodes/WhatsAutoReply/actions/reply/options';
import { GATE_DEBOUNCE_SECONDS } from '../../nodes/WhatsAutoTrigger/gate/settings';
import type { SentRecord } from '../../devkit/fakes/graph-api';
import { samplePdf, samplePng, sampleAudio } from '../../devkit/fakes/openai';
import { echo, echoesChange, msg, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import {
	ACCOUNT,
	bindCredentials,
	BUSINESS_NAME,
	contentRows,
	DISCLOSURE,
	expectOnlyMemory,
	hasDisclosure,
	MARKER_PATTERN,
	MEMORY_PREFIX,
	MEMORY_TTL_MS,
	marker,
	scanN8n,
	scanStore,
	sentText,
	sleep,
	splitDisclosure,
	STORE_SECRET,
	storeMessageRef,
	useTemplatesEnv,
	waitUntil,
	WORKFLOW_IDS,
	type Json,
	type TemplatesEnv,
} from './templates-env';

jest.setTimeout(300_000);

const WF = WORKFLOW_IDS.autoResponder;
const REPLY_TIMEOUT = 60_000;
const keys = deriveKeys(STORE_SECRET);
const subjectOf = (waId: string) => pseudonymise(keys.pseudonymKey, waId);
/** Before anything was written to the store: memory rows expire no earlier than 24 h after this. */
const suiteStart = Date.now();

let nextNumber = 100;
/** A fresh customer number per scenario, so every reply can be told apart by recipient. */
const customer = () => `4477009${String(nextNumber++).padStart(5, '0')}`;

const textOf = sentText;

/** A WebP header (VP8X, 64×64) followed by the marker: what the fake OpenAI accepts as an image. */
function sampleWebp(tail: string): Buffer {
	const vp8x = Buffer.from([0x10, 0, 0, 0, 63, 0, 0, 63, 0, 0]);
	const chunk = Buffer.concat([Buffer.from('VP8X'), Buffer.from([vp8x.length, 0, 0, 0]), vp8x, Buffer.from(tail)]);
	const size = Buffer.alloc(4);
	size.writeUInt32LE(4 + chunk.length);
	return Buffer.concat([Buffer.from('RIFF'), size, Buffer.from('WEBP'), chunk]);
}

describe('template: WhatsApp GPT-4 auto-responder, in real n8n', () => {
	let env: TemplatesEnv;
	useTemplatesEnv({}, (started) => (env = started));

	const waitForOutcome = async (messageId: string) =>
		await waitUntil(`the Auto-Reply outcome of ${messageId}`, () => env.replyOutcome(messageId), REPLY_TIMEOUT);
	const deliver = async (messages: WebhookMessage | WebhookMessage[]) => {
		const results = await env.deliver(messages);
		expect(results.map((r) => r.status)).toEqual([200]);
	};
	const chatWith = (needle: string) => env.ai.chatRequests.find((r) => JSON.stringify(r.body).includes(needle));

	describe('import', () => {
		it('imported all three templates through the CLI with the credentials they name, and published them', async () => {
			const file = join(env.n8n.userFolder, 'exported-workflows.json');
			await env.n8n.cli(['export:workflow', '--all', `--output=${file}`]);
			const exported = JSON.parse(readFileSync(file, 'utf8')) as Array<{
				id: string;
				name: string;
				activeVersionId: string | null;
				nodes: Array<{ name: string; credentials?: Record<string, { id: string; name: string }> }>;
			}>;
			const byName = new Map(env.credentials.map((c) => [c.id, c]));
			for (const [name, id] of Object.entries(WORKFLOW_IDS)) {
				const template = env.templates[name as keyof typeof WORKFLOW_IDS];
				const workflow = exported.find((w) => w.id === id);
				expect(workflow?.name).toBe(template.name);
				expect(workflow?.activeVersionId).toBeTruthy();
				// the template files themselves name credentials only
				for (const node of template.nodes) for (const ref of Object.values(node.credentials ?? {})) expect(ref).toEqual({ name: ref.name });
				// in n8n, every reference points at the credential of that name (not at the decoys imported first)
				const expected = bindCredentials(template, env.credentials);
				for (const node of expected.nodes.filter((n) => n.credentials)) {
					const imported = workflow!.nodes.find((n) => n.name === node.name);
					expect(imported?.credentials).toEqual(node.credentials);
					for (const ref of Object.values(imported!.credentials!)) expect(byName.get(ref.id)?.name).toBe(ref.name);
				}
			}
		});

		it('subscribed the business account on activation and answers Meta’s handshake on the production URL', async () => {
			expect(env.graph.subscriptions.some((s) => s.kind === 'subscribed_apps' && s.method === 'POST')).toBe(true);
			const handshake = await env.graph.verifyWebhook(env.triggerUrl, { verifyToken: 'templates-e2e-verify-token', challenge: '424242' });
			expect(handshake).toMatchObject({ status: 200, body: '424242' });
		});
	});

	describe('every inbound message type', () => {
		const M = {
			text: marker('TEXT'),
			caption: marker('CAPTION'),
			image: marker('IMAGE'),
			sticker: marker('STICKER'),
			voice: marker('VOICE'),
			video: marker('VIDEO'),
			videoCaption: marker('VIDEOCAPTION'),
			pdf: marker('PDF'),
			pdfCaption: marker('PDFCAPTION'),
			docx: marker('DOCX'),
			location: marker('LOCATION'),
			contact: marker('CONTACT'),
			buttonReply: marker('BUTTONREPLY'),
			listReply: marker('LISTREPLY'),
			button: marker('BUTTON'),
			order: marker('ORDER'),
		};
		const who = Object.fromEntries(
			['text', 'image', 'sticker', 'voice', 'video', 'pdf', 'docx', 'location', 'contacts', 'buttonReply', 'listReply', 'button', 'order', 'reaction', 'welcome', 'unsupported', 'system'].map(
				(k) => [k, customer()],
			),
		) as Record<string, string>;
		const bytes = {
			image: Buffer.concat([samplePng(4, 4), Buffer.from(M.image)]),
			sticker: sampleWebp(M.sticker),
			voice: Buffer.concat([sampleAudio('ogg', 2), Buffer.from('voice-note-bytes')]),
			video: Buffer.concat([sampleAudio('mp4', 2), Buffer.from('video-bytes')]),
			pdf: samplePdf([`Quote ${M.pdf}`]),
			docx: Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from(`word/document.xml ${M.docx}`)]),
		};
		const ids: Record<string, string> = {};

		beforeAll(async () => {
			const g = env.graph;
			env.ai.setTranscript(bytes.voice, `Hello, this is a voice note about ${M.voice}`);
			env.ai.setTranscript(bytes.video, `In this video I show ${M.video}`);
			const image = g.addMedia({ bytes: bytes.image, mimeType: 'image/png' });
			const sticker = g.addMedia({ bytes: bytes.sticker, mimeType: 'image/webp' });
			const voice = g.addMedia({ bytes: bytes.voice, mimeType: 'audio/ogg; codecs=opus' });
			const video = g.addMedia({ bytes: bytes.video, mimeType: 'video/mp4' });
			const pdf = g.addMedia({ bytes: bytes.pdf, mimeType: 'application/pdf', filename: 'quote.pdf' });
			const docx = g.addMedia({ bytes: bytes.docx, mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', filename: 'contract.docx' });
			const messages: Record<string, WebhookMessage> = {
				text: msg.text(who.text, `Do you deliver to ${M.text} on Saturdays?`),
				image: msg.image(who.image, image, { caption: `Is this in stock? ${M.caption}` }),
				sticker: msg.sticker(who.sticker, sticker),
				voice: msg.audio(who.voice, voice),
				video: msg.video(who.video, video, { caption: M.videoCaption }),
				pdf: msg.document(who.pdf, pdf, { filename: 'quote.pdf', caption: M.pdfCaption }),
				docx: msg.document(who.docx, docx, { filename: 'contract.docx' }),
				location: msg.location(who.location, { latitude: 52.52, longitude: 13.405, name: M.location, address: 'Alexanderplatz, Berlin' }),
				contacts: msg.contacts(who.contacts, [{ name: { formatted_name: M.contact, first_name: 'Zebra' }, phones: [{ phone: '+1 650 555 0199', type: 'CELL' }] }]),
				buttonReply: msg.buttonReply(who.buttonReply, { id: 'opt-yes', title: M.buttonReply }),
				listReply: msg.listReply(who.listReply, { id: 'row-2', title: M.listReply, description: 'Second row' }),
				button: msg.button(who.button, { payload: 'TRACK_ORDER', text: M.button }),
				order: msg.order(who.order, {
					catalog_id: '194836987003835',
					text: M.order,
					product_items: [{ product_retailer_id: 'SKU-BLUE-42', quantity: 2, item_price: 19.9, currency: 'EUR' }],
				}),
				reaction: msg.reaction(who.reaction, 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA', '👍'),
				welcome: msg.requestWelcome(who.welcome),
				unsupported: msg.unsupported(who.unsupported, 'poll_creation'),
				system: msg.system(who.system, { newWaId: '447700999999' }),
			};
			for (const [k, m] of Object.entries(messages)) ids[k] = m.id;
			// all at once, one delivery each, as Meta would
			const results = await Promise.all(Object.values(messages).map((m) => env.deliver(m)));
			expect(results.flat().map((r) => r.status)).toEqual(Object.values(messages).map(() => 200));
		});

		/**
		 * The one reply the customer got: the AI disclosure (their first reply), then the model's answer (echoing what it
		 * understood), after "read + typing".
		 */
		async function aiReply(kind: string, markers: string[]): Promise<SentRecord> {
			const [reply] = await env.waitForSent(who[kind]);
			const { disclosure, rest } = splitDisclosure(textOf(reply));
			expect(disclosure).toBe(DISCLOSURE);
			expect(rest).toMatch(/^Happy to help! About /);
			for (const m of markers) expect(rest).toContain(m);
			expect(reply.type).toBe('text');
			expect(await waitForOutcome(ids[kind])).toMatchObject({ status: 'replied', graphMessageIds: [storeMessageRef(reply.id)] });
			expect(env.graph.readReceipts.find((r) => r.messageId === ids[kind])).toMatchObject({ typing: true });
			return reply;
		}
		async function directReply(kind: string, text: string, reason: string) {
			const [reply] = await env.waitForSent(who[kind]);
			// a first reply: the disclosure comes first here too
			expect(textOf(reply)).toBe(`${DISCLOSURE}\n\n${text}`);
			expect(await waitForOutcome(ids[kind])).toMatchObject({ graphMessageIds: [storeMessageRef(reply.id)] });
			await sleep(500);
			expect(env.sentTo(who[kind])).toHaveLength(1);
			return reason;
		}
		async function noReply(kind: string, reason: string) {
			expect(await waitForOutcome(ids[kind])).toMatchObject({ status: 'skipped', reason, graphMessageIds: [] });
			await sleep(1_000);
			expect(env.sentTo(who[kind])).toEqual([]);
			expect(env.graph.readReceipts.filter((r) => r.messageId === ids[kind])).toEqual([]);
		}

		it('text: answered by the model, which got the text', async () => {
			await aiReply('text', [M.text]);
			expect(chatWith(M.text)?.messages.at(-1)?.text).toContain(`Do you deliver to ${M.text} on Saturdays?`);
		});

		it('image: the model got the photo inline as a data URL, and the caption', async () => {
			await aiReply('image', [M.image, M.caption]);
			const req = chatWith(M.caption)!;
			expect(req.images).toHaveLength(1);
			expect(req.images[0]).toMatchObject({ kind: 'data', mimeType: 'image/png', format: 'png' });
			expect(req.images[0].bytes?.equals(bytes.image)).toBe(true);
			expect(req.remoteUrls).toEqual([]);
			expect(JSON.stringify(req.body)).toContain(`data:image/png;base64,${bytes.image.toString('base64')}`);
		});

		it('sticker: the model looked at it as an image', async () => {
			await aiReply('sticker', [M.sticker]);
			const req = env.ai.chatRequests.find((r) => r.images.some((i) => i.bytes?.equals(bytes.sticker)))!;
			expect(req.images[0]).toMatchObject({ kind: 'data', mimeType: 'image/webp' });
			expect(req.messages.at(-1)?.text).toContain('sticker');
		});

		it('voice note: transcribed by the fake, the model got the transcript', async () => {
			await aiReply('voice', [M.voice]);
			const transcription = env.ai.transcriptionRequests.find((t) => t.bytes.equals(bytes.voice));
			expect(transcription).toMatchObject({ status: 200, model: 'gpt-4o-mini-transcribe' });
			const text = chatWith(M.voice)!.messages.at(-1)!.text;
			expect(text).toContain('a voice note; it says');
			expect(text).toContain(`Hello, this is a voice note about ${M.voice}`);
		});

		it('video: its sound track transcribed, the caption kept', async () => {
			await aiReply('video', [M.video, M.videoCaption]);
			expect(env.ai.transcriptionRequests.find((t) => t.bytes.equals(bytes.video))).toMatchObject({ status: 200 });
			const text = chatWith(M.video)!.messages.at(-1)!.text;
			expect(text).toContain('a video; its sound track says');
			expect(text).toContain(M.videoCaption);
		});

		it('PDF document: the model got it as a file part', async () => {
			await aiReply('pdf', [M.pdf, M.pdfCaption]);
			const req = chatWith(M.pdfCaption)!;
			expect(req.files).toHaveLength(1);
			expect(req.files[0]).toMatchObject({ filename: 'quote.pdf' });
			expect(req.files[0].bytes?.equals(bytes.pdf)).toBe(true);
			expect(req.messages.at(-1)?.text).toContain('PDF document (quote.pdf)');
		});

		it('unreadable .docx: a polite request for a PDF, no model call', async () => {
			await directReply('docx', DEFAULTS.unreadableDocumentReply, 'unreadable_document');
			expect(await waitForOutcome(ids.docx)).toMatchObject({ status: 'replied' });
			expect(env.ai.allReceivedText()).not.toContain(M.docx);
		});

		it('location, contacts, button and list replies, template button, order: understood as text', async () => {
			await aiReply('location', [M.location]);
			expect(chatWith(M.location)!.messages.at(-1)!.text).toContain('The customer shared a location');
			await aiReply('contacts', [M.contact]);
			expect(chatWith(M.contact)!.messages.at(-1)!.text).toContain('shared contact card(s)');
			await aiReply('buttonReply', [M.buttonReply]);
			expect(chatWith(M.buttonReply)!.messages.at(-1)!.text).toContain(`The customer chose "${M.buttonReply}"`);
			await aiReply('listReply', [M.listReply]);
			expect(chatWith(M.listReply)!.messages.at(-1)!.text).toContain(`The customer chose "${M.listReply}"`);
			await aiReply('button', [M.button]);
			expect(chatWith(M.button)!.messages.at(-1)!.text).toContain(`tapped the button "${M.button}"`);
			await aiReply('order', [M.order]);
			const order = chatWith(M.order)!.messages.at(-1)!.text;
			expect(order).toContain('sent an order from the catalog');
			expect(order).toContain('SKU-BLUE-42');
		});

		it('reaction: no reply, not even a read receipt', async () => {
			await noReply('reaction', 'reaction');
		});

		it('request_welcome: the welcome message', async () => {
			await directReply('welcome', DEFAULTS.welcomeMessage, 'welcome');
		});

		it('unsupported: asks to resend in another form', async () => {
			await directReply('unsupported', DEFAULTS.unsupportedReply, 'unsupported');
		});

		it('system notice: no reply', async () => {
			await noReply('system', 'system');
		});

		it('every answered message’s content is gone from the store, which never held it in plaintext; memory keeps the model’s turns, encrypted, for 24 h', async () => {
			await env.waitForDrained(WF);
			const memory = expectOnlyMemory(env, suiteStart);
			// one remembered turn per customer the model answered; none for direct replies (.docx, welcome, unsupported) or no reply
			const byModel = ['text', 'image', 'sticker', 'voice', 'video', 'pdf', 'location', 'contacts', 'buttonReply', 'listReply', 'button', 'order'];
			expect(memory.map((r) => r.contactKey).sort()).toEqual(byModel.map((k) => subjectOf(who[k])).sort());
			const { findings } = scanStore(env, [...Object.values(M), ...Object.values(bytes)]);
			expect(findings).toEqual([]);
			// and n8n itself holds none of it: execution data, binary data, logs
			expect(scanN8n(env, [...Object.values(M), ...Object.values(bytes)]).findings).toEqual([]);
		});
	});

	describe('deliveries', () => {
		it('the same delivery three times: one execution, one reply', async () => {
			const wa = customer();
			const m = marker('DUP');
			const before = env.lastExecutionId();
			const results = await env.deliver(msg.text(wa, `Are you open today? ${m}`), { times: 3 });
			expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
			await env.waitForSent(wa);
			await env.waitForEnded(WF, 1, before);
			await sleep(3_000);
			expect(env.sentTo(wa)).toHaveLength(1);
			expect(env.executionRows(WF).filter((r) => r.id > before)).toHaveLength(1);
			expect(env.ai.chatRequests.filter((r) => JSON.stringify(r.body).includes(m))).toHaveLength(1);
		});

		it('the same delivery three times at once: still one reply', async () => {
			const wa = customer();
			const results = await env.deliver(msg.text(wa, `Do you ship abroad? ${marker('RACE')}`), { times: 3, concurrent: true });
			expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
			await env.waitForSent(wa);
			await sleep(3_000);
			expect(env.sentTo(wa)).toHaveLength(1);
		});

		it('a batch of three messages from one customer: one turn, one model call, one reply', async () => {
			const wa = customer();
			const markers = [marker('BATCHA'), marker('BATCHB'), marker('BATCHC')];
			const before = env.lastExecutionId();
			const sent = markers.map((m) => msg.text(wa, `Question about ${m}`));
			await deliver(sent);
			await env.waitForSent(wa, 1);
			await env.waitForDrained(WF);
			await sleep(1_000);
			expect(env.sentTo(wa)).toHaveLength(1);
			const calls = env.ai.chatRequests.filter((r) => markers.some((m) => JSON.stringify(r.body).includes(m)));
			expect(calls).toHaveLength(1);
			for (const m of markers) expect(JSON.stringify(calls[0].body)).toContain(m);
			expect(env.executionRows(WF).filter((r) => r.id > before)).toHaveLength(1);
		});

		it('a bad signature: 401, no execution, no reply, a log line without the content', async () => {
			const wa = customer();
			const m = marker('FORGED');
			const before = env.lastExecutionId();
			for (const signature of ['wrong', 'missing'] as const) {
				const [result] = await env.deliver(msg.text(wa, `Send me a refund ${m}`), { signature });
				expect(result.status).toBe(401);
			}
			await sleep(2_000);
			expect(env.executionRows().filter((r) => r.id > before)).toEqual([]);
			expect(env.sentTo(wa)).toEqual([]);
			expect(env.n8n.logs()).toMatch(/WhatsAuto Trigger rejected a webhook call with 401: invalid signature \(signature mismatch\)/);
			expect(env.n8n.logs()).not.toContain(m);
		});
	});

	describe('privacy commands on WhatsApp', () => {
		const REQUEST_ID = /PR-\d{8}-[A-Z2-9]{6}/;
		/** Customers who confirmed "delete my data": the store keeps nothing of them, memory included. */
		const erased: string[] = [];

		it('STOP: confirmed; the next message gets no AI reply; START: replies again', async () => {
			const wa = customer();
			await deliver(msg.text(wa, 'STOP'));
			const [stopped] = await env.waitForSent(wa);
			expect(textOf(stopped)).toMatch(/^Done \(request PR-\d{8}-[A-Z2-9]{6}\): we've stopped processing your messages with AI/);
			const stopId = REQUEST_ID.exec(textOf(stopped))![0];
			expect(env.ai.chatRequests.some((r) => JSON.stringify(r.body).includes('STOP'))).toBe(false);

			const silenced = marker('SILENCED');
			const after = msg.text(wa, `Where is my parcel? ${silenced}`);
			await deliver(after);
			expect(await waitForOutcome(after.id)).toMatchObject({ status: 'skipped', reason: 'objected' });
			await sleep(1_000);
			expect(env.sentTo(wa)).toHaveLength(1);
			expect(env.ai.allReceivedText()).not.toContain(silenced);
			expect(env.graph.readReceipts.some((r) => r.messageId === after.id)).toBe(false);

			await deliver(msg.text(wa, 'START'));
			const [, resumed] = await env.waitForSent(wa, 2);
			expect(textOf(resumed)).toMatch(/^Done \(request PR-\d{8}-[A-Z2-9]{6}\): our AI assistant will reply to your messages again/);
			expect(REQUEST_ID.exec(textOf(resumed))![0]).not.toBe(stopId);

			const again = marker('AGAIN');
			await deliver(msg.text(wa, `Where is my parcel? ${again}`));
			const [, , answered] = await env.waitForSent(wa, 3);
			expect(textOf(answered)).toContain(again);

			const [request] = env.store('SELECT value FROM records WHERE scope = ? AND key = ?', 'privacy-request', stopId);
			expect(JSON.parse(String(request.value))).toMatchObject({ type: 'object', channel: 'whatsapp', state: 'completed' });
		});

		it('"delete my data": asked once with reply buttons; on "Delete all my data" a receipt with the request id, and the store forgets the person', async () => {
			const wa = customer();
			erased.push(wa);
			const m = marker('BEFOREDELETE');
			const first = msg.text(wa, `Do you have gift cards? ${m}`);
			await deliver(first);
			await env.waitForSent(wa);
			await waitForOutcome(first.id);
			await env.waitForDrained(WF);
			expect(env.store('SELECT key FROM records WHERE contact_key = ?', subjectOf(wa)).length).toBeGreaterThan(0);
			// the answered turn is in memory (encrypted)
			expect(env.store('SELECT ref FROM content WHERE contact_key = ?', subjectOf(wa)).map((r) => String(r.ref))).toEqual([expect.stringMatching(/^mem:/)]);

			await deliver(msg.text(wa, 'delete my data'));
			const [, question] = await env.waitForSent(wa, 2);
			expect(question.type).toBe('interactive');
			const [confirm] = (question.body as { interactive: { action: { buttons: Array<{ reply: { id: string; title: string } }> } } }).interactive.action.buttons.map((b) => b.reply);
			expect(confirm).toEqual({ id: expect.stringMatching(/^whatsauto:erase:confirm:PR-\d{8}-[A-Z2-9]{6}$/), title: 'Delete all my data' });
			// nothing is erased before the tap
			await env.waitForEnded(WF, 0);
			expect(env.store('SELECT key FROM records WHERE contact_key = ?', subjectOf(wa)).length).toBeGreaterThan(0);

			await deliver(msg.buttonReply(wa, confirm, { context: { from: ACCOUNT.displayPhoneNumber, id: question.id } }));
			const [, , receipt] = await env.waitForSent(wa, 3);
			expect(textOf(receipt)).toMatch(/^Your erasure request PR-\d{8}-[A-Z2-9]{6} is complete: we've deleted your personal data\./);
			const id = REQUEST_ID.exec(textOf(receipt))![0];
			await waitUntil('the erasure to complete', () => {
				const [row] = env.store('SELECT value FROM records WHERE scope = ? AND key = ?', 'privacy-request', id);
				return row && (JSON.parse(String(row.value)) as Json).state === 'completed' ? row : undefined;
			});
			await env.waitForEnded(WF, 0);
			expect(env.store('SELECT scope, key FROM records WHERE contact_key = ?', subjectOf(wa))).toEqual([]);
			expect(env.store('SELECT ref FROM content WHERE contact_key = ?', subjectOf(wa))).toEqual([]);
		});

		it('"send me my data": the export uploaded to Meta and sent as a document, then a summary', async () => {
			const wa = customer();
			await deliver(msg.text(wa, `Hello there ${marker('BEFOREACCESS')}`));
			await env.waitForSent(wa);
			const uploadsBefore = env.graph.uploads.length;

			await deliver(msg.text(wa, 'send me my data'));
			const [, document, summary] = await env.waitForSent(wa, 3);
			expect(env.graph.uploads.length).toBe(uploadsBefore + 1);
			const upload = env.graph.uploads.at(-1)!;
			expect(env.graph.requests.some((r) => r.method === 'POST' && r.path === `/v23.0/${ACCOUNT.phoneNumberId}/media` && r.status === 200)).toBe(true);
			// WhatsApp takes no application/json documents: the JSON export goes as a plain-text file
			expect(upload.mimeType).toBe('text/plain');
			expect(upload.filename).toMatch(/^PR-\d{8}-[A-Z2-9]{6}-personal-data\.txt$/);
			const id = REQUEST_ID.exec(upload.filename!)![0];

			expect(document.type).toBe('document');
			expect(document.body.document).toMatchObject({ id: upload.id, filename: upload.filename });
			expect(textOf(document)).toContain(`Your access request ${id} is complete`);
			expect(summary.type).toBe('text');
			expect(textOf(summary)).toMatch(new RegExp(`^Summary of the data we hold about you \\(request ${id}\\):\\nProfile: none\\n`));
			expect(textOf(summary)).toContain('Reply records: 1');

			const exported = JSON.parse(env.graph.getMedia(upload.id)!.bytes.toString('utf8')) as Json;
			expect(exported).toMatchObject({
				format: 'whatsauto-access-export/v1',
				requestId: id,
				subject: { whatsappId: wa, pseudonym: subjectOf(wa) },
				processingState: { aiReplies: 'active', marketing: 'active' },
			});
			expect(exported.replyHistory).toEqual([expect.objectContaining({ status: 'replied' })]);
			expect(exported.privacyRequests).toEqual([expect.objectContaining({ id, type: 'access', channel: 'whatsapp' })]);
		});

		it('a command in Bengali gets its confirmation in Bengali', async () => {
			const wa = customer();
			erased.push(wa);
			await deliver(msg.text(wa, 'আমার তথ্য মুছে ফেলুন'));
			// the question and its buttons in Bengali too
			const [question] = await env.waitForSent(wa);
			const { interactive } = question.body as { interactive: { body: { text: string }; action: { buttons: Array<{ reply: { id: string; title: string } }> } } };
			expect(interactive.body.text).toMatch(/^আপনার সম্পর্কে আমাদের কাছে থাকা সব ব্যক্তিগত তথ্য কি আমরা মুছে ফেলব/);
			const [confirm, cancel] = interactive.action.buttons.map((b) => b.reply);
			expect([confirm.title, cancel.title]).toEqual(['আমার সব তথ্য মুছুন', 'বাতিল']);
			await deliver(msg.buttonReply(wa, confirm, { context: { from: ACCOUNT.displayPhoneNumber, id: question.id } }));
			const [, confirmation] = await env.waitForSent(wa, 2);
			expect(textOf(confirmation)).toMatch(/^আপনার তথ্য মুছে ফেলার অনুরোধ PR-\d{8}-[A-Z2-9]{6} সম্পন্ন হয়েছে/);
			expect(env.ai.chatRequests.some((r) => JSON.stringify(r.body).includes('মুছে'))).toBe(false);
		});

		it('privacy commands leave no content behind in the store either: memory only, none of the people erased', async () => {
			await env.waitForDrained(WF);
			const memory = expectOnlyMemory(env, suiteStart);
			for (const wa of erased) expect(memory.filter((r) => r.contactKey === subjectOf(wa))).toEqual([]);
		});
	});

	describe('conversation: memory, disclosure, a person on request, replies from the Business app, reset', () => {
		const HANDOFF = conversationText('handoff', 'en', { business: BUSINESS_NAME });
		const RESET = conversationText('reset', 'en', { business: BUSINESS_NAME });
		const requestsWith = (needle: string) => env.ai.chatRequests.filter((r) => JSON.stringify(r.body).includes(needle));
		const memoryOf = (wa: string) => contentRows(env).filter((r) => r.contactKey === subjectOf(wa) && r.ref.startsWith(MEMORY_PREFIX));
		const pauseOf = (wa: string) => {
			const [row] = env.store('SELECT value FROM records WHERE scope = ? AND key = ?', 'conversation-pause', subjectOf(wa));
			return row ? (JSON.parse(String(row.value)) as Json) : undefined;
		};
		/** One text from the customer, answered (or not) once the Auto-Reply recorded its outcome. */
		const say = async (wa: string, text: string) => {
			const message = msg.text(wa, text);
			await deliver(message);
			return { message, outcome: await waitForOutcome(message.id) };
		};
		/** The customer's messages got no reply, no read receipt, and never reached the model. */
		const ignored = async (wa: string, sentBefore: number, messages: WebhookMessage[], markers: string[]) => {
			await sleep(1_000);
			expect(env.sentTo(wa)).toHaveLength(sentBefore);
			for (const m of messages) expect(env.graph.readReceipts.filter((r) => r.messageId === m.id)).toEqual([]);
			for (const m of markers) expect(env.ai.allReceivedText()).not.toContain(m);
		};

		it('memory: the second question reaches the model with the first turn (the customer’s message, the reply), after the system prompt', async () => {
			const wa = customer();
			const mug = marker('MUG');
			const first = await say(wa, `Do you sell blue mugs? ${mug}`);
			expect(first.outcome).toMatchObject({ status: 'replied' });
			const [firstReply] = env.sentTo(wa);
			const { disclosure, rest: firstAnswer } = splitDisclosure(textOf(firstReply));
			expect(disclosure).toBe(DISCLOSURE);
			expect(firstAnswer).toMatch(/^Happy to help! About /);
			expect(firstAnswer).toContain(mug);
			const [firstRequest, ...others] = requestsWith(mug);
			expect(others).toEqual([]);
			expect(firstRequest.messages.map((m) => m.role)).toEqual(['system', 'user']);
			expect(memoryOf(wa)).toHaveLength(1);

			const price = marker('PRICE');
			const second = await say(wa, `How much is it? ${price}`);
			expect(second.outcome).toMatchObject({ status: 'replied' });
			const requests = requestsWith(price);
			expect(requests).toHaveLength(1);
			const { messages } = requests[0];
			expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
			// the stable system prompt first, then the earlier turn as history, then the new message
			expect(messages[0].text).toBe(firstRequest.messages[0].text);
			// the customer's side as the model got it then (framed, masked), labelled as history
			expect(messages[1].text).toBe(`Earlier in this conversation:\n${firstRequest.messages[1].text}`);
			expect(messages[1].text).toContain(`Do you sell blue mugs? ${mug}`);
			expect(messages[1].text).not.toContain(price);
			expect(messages[2].text).toBe(firstAnswer);
			expect(messages[3].text).toContain(`How much is it? ${price}`);
			expect(messages[3].text).not.toContain(mug);
			// one reply per turn, the disclosure only on the first
			const [, secondReply] = env.sentTo(wa);
			expect(env.sentTo(wa)).toHaveLength(2);
			expect(splitDisclosure(textOf(secondReply)).disclosure).toBeUndefined();
			expect(textOf(secondReply)).toContain(price);

			// both turns remembered: encrypted (no marker of the conversation in the store's files), for 24 h
			const memory = memoryOf(wa);
			expect(memory).toHaveLength(2);
			for (const row of memory) {
				expect(row.expiresAt).toBeLessThanOrEqual(Date.now() + MEMORY_TTL_MS);
				expect(row.expiresAt).toBeGreaterThan(Date.now() + MEMORY_TTL_MS - 5 * 60_000);
			}
			const said = [mug, price, ...env.sentTo(wa).flatMap((s) => textOf(s).match(MARKER_PATTERN) ?? [])];
			expect(scanStore(env, said).findings).toEqual([]);
			expect(scanN8n(env, said).findings).toEqual([]);
		});

		it('the AI disclosure: told once per customer, before their first reply only', async () => {
			const wa = customer();
			const topics = [marker('ONCEA'), marker('ONCEB'), marker('ONCEC')];
			for (const topic of topics) expect((await say(wa, `Tell me about ${topic}`)).outcome).toMatchObject({ status: 'replied' });
			const texts = env.sentTo(wa).map(textOf);
			expect(texts).toHaveLength(3);
			expect(texts[0].startsWith(`${DISCLOSURE}\n\n`)).toBe(true);
			expect(texts.filter(hasDisclosure)).toHaveLength(1);
			topics.forEach((topic, i) => expect(splitDisclosure(texts[i]).rest).toContain(topic));
			// recorded under the person's pseudonym
			expect(env.store('SELECT key FROM records WHERE scope = ? AND key = ?', 'ai-disclosure', subjectOf(wa))).toHaveLength(1);
			// and no customer of this suite was told twice
			for (const to of new Set(env.graph.sent.map((s) => s.waId))) {
				const disclosures = env.graph.sent.filter((s) => s.waId === to && hasDisclosure(textOf(s))).length;
				expect({ to, disclosures }).toEqual({ to, disclosures: Math.min(disclosures, 1) });
			}
		});

		it('"human": the handoff message, the item leaves on Handoff (Tell Your Team); then the AI stays silent for that customer', async () => {
			const wa = customer();
			const before = env.lastExecutionId();
			const chatsBefore = env.ai.chatRequests.length;
			const ask = msg.text(wa, 'human');
			await deliver(ask);
			const [handoff] = await env.waitForSent(wa);
			expect(textOf(handoff)).toBe(HANDOFF);
			// status "handoff" with reason "handoff_requested" is what the Auto-Reply puts on its second output, Handoff,
			// which the template connects to "Tell Your Team" (the template saves no execution data to show the run)
			expect(await waitForOutcome(ask.id)).toMatchObject({ status: 'handoff', reason: 'handoff_requested', graphMessageIds: [storeMessageRef(handoff.id)] });
			expect(pauseOf(wa)).toMatchObject({ reason: 'handoff' });
			await env.waitForDrained(WF);
			const runs = env.executionRows(WF).filter((r) => r.id > before);
			expect(runs.length).toBeGreaterThan(0);
			for (const run of runs) expect(['error', 'crashed']).not.toContain(run.status);
			expect(env.ai.chatRequests.length).toBe(chatsBefore);

			// three more messages: one on its own, then two in one burst (one turn)
			const quiet = [marker('PAUSEDA'), marker('PAUSEDB'), marker('PAUSEDC')];
			const alone = msg.text(wa, `Hello? ${quiet[0]}`);
			await deliver(alone);
			expect(await waitForOutcome(alone.id)).toMatchObject({ status: 'skipped', reason: 'paused_by_handoff', graphMessageIds: [] });
			await sleep(1_000);
			const burst = [msg.text(wa, `Any news? ${quiet[1]}`), msg.text(wa, `Please answer ${quiet[2]}`)];
			await deliver(burst);
			for (const m of burst) expect(await waitForOutcome(m.id)).toMatchObject({ status: 'skipped', reason: 'paused_by_handoff', graphMessageIds: [] });
			await ignored(wa, 1, [alone, ...burst], quiet);
			expect(pauseOf(wa)).toMatchObject({ reason: 'handoff' });
			// nothing of them left in the store either
			await env.waitForDrained(WF);
			expect(contentRows(env).filter((r) => r.contactKey === subjectOf(wa))).toEqual([]);
		});

		it('a reply from the WhatsApp Business app (smb_message_echoes) pauses the AI for that customer', async () => {
			const wa = customer();
			const question = marker('BEFOREECHO');
			expect((await say(wa, `Can I collect my order today? ${question}`)).outcome).toMatchObject({ status: 'replied' });
			expect(env.sentTo(wa)).toHaveLength(1);

			// a person at the business answers from the app: Meta sends the echo (from the business number, to the
			// customer), signed with the app secret like every delivery
			const ana = marker('ECHO');
			const before = env.lastExecutionId();
			const echoed = echo(ACCOUNT, wa, `Hi, this is Ana from the shop: yes, until 18:00. ${ana}`);
			expect(echoed).toMatchObject({ from: ACCOUNT.displayPhoneNumber, to: wa, type: 'text' });
			const results = await env.deliver(echoesChange(ACCOUNT, [echoed]));
			expect(results.map((r) => r.status)).toEqual([200]);
			expect(await waitUntil('the pause the echo starts', () => pauseOf(wa), REPLY_TIMEOUT)).toMatchObject({ reason: 'human_reply' });
			await env.waitForEnded(WF, 1, before);
			// the app's message is no reply of ours: nothing sent
			expect(env.sentTo(wa)).toHaveLength(1);

			const after = marker('AFTERECHO');
			const next = await say(wa, `Great, thanks! ${after}`);
			expect(next.outcome).toMatchObject({ status: 'skipped', reason: 'paused_by_human_reply', graphMessageIds: [] });
			await ignored(wa, 1, [next.message], [after]);
			// what Ana wrote is nowhere in n8n and never in plaintext in the store
			expect(scanN8n(env, [ana, after]).findings).toEqual([]);
			expect(scanStore(env, [ana, after]).findings).toEqual([]);
		});

		it('the echo’s content does not stay in the store once the Auto-Reply has taken note of it', async () => {
			const wa = customer();
			const before = env.lastExecutionId();
			const results = await env.deliver(echoesChange(ACCOUNT, [echo(ACCOUNT, wa, `Hello from the shop ${marker('ECHOKEPT')}`)]));
			expect(results.map((r) => r.status)).toEqual([200]);
			expect(await waitUntil('the pause the echo starts', () => pauseOf(wa), REPLY_TIMEOUT)).toMatchObject({ reason: 'human_reply' });
			await env.waitForEnded(WF, 1, before);
			await env.waitForDrained(WF);
			expect(contentRows(env).filter((r) => r.contactKey === subjectOf(wa))).toEqual([]);
			// nor under any other key: the whole table holds memory only
			expectOnlyMemory(env, suiteStart);
		});

		it('"reset": the confirmation, the memory gone, and the next request carries no history', async () => {
			const wa = customer();
			const old = marker('FORGOTTEN');
			expect((await say(wa, `I am looking for a teapot ${old}`)).outcome).toMatchObject({ status: 'replied' });
			expect(memoryOf(wa)).toHaveLength(1);

			const reset = await say(wa, 'reset');
			expect(reset.outcome).toMatchObject({ status: 'replied', reason: 'memory_reset' });
			const [, confirmation] = await env.waitForSent(wa, 2);
			expect(textOf(confirmation)).toBe(RESET);
			expect(memoryOf(wa)).toEqual([]);
			expect(requestsWith(old)).toHaveLength(1);

			const fresh = marker('FRESH');
			expect((await say(wa, `Do you have cups? ${fresh}`)).outcome).toMatchObject({ status: 'replied' });
			const requests = requestsWith(fresh);
			expect(requests).toHaveLength(1);
			expect(requests[0].messages.map((m) => m.role)).toEqual(['system', 'user']);
			expect(JSON.stringify(requests[0].body)).not.toContain(old);
			expect(JSON.stringify(requests[0].body)).not.toContain('Earlier in this conversation');
			const [, , answer] = await env.waitForSent(wa, 3);
			expect(hasDisclosure(textOf(answer))).toBe(false);
			expect(textOf(answer)).not.toContain(old);
			expect(memoryOf(wa)).toHaveLength(1);
		});
	});

	describe('limits: the loop guard stops another bot answering ours', () => {
		/** The conversation gate's debounce plus time to answer: a reply not sent by then is not coming. */
		const QUIET_MS = GATE_DEBOUNCE_SECONDS * 1000 + 8_000;
		/** The most messages a bot sends here. */
		const ROUNDS = 8;
		const AUTO_REPLY = 'Thank you for your message. This is an automated reply.';
		/** The template's Limits collection, with the node's defaults for what it leaves out. */
		const loopSettings = () => {
			const limits = env.templates.autoResponder.nodes.find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoReply')!.parameters.limits as Json;
			return {
				on: limits.loopGuard === true,
				stopAfter: Number(limits.loopStopAfter ?? LIMIT_DEFAULTS.loopStopAfter),
				repeats: Number(limits.loopRepeats ?? LIMIT_DEFAULTS.loopRepeats),
				perMinute: Number(limits.loopMaxMessagesPerMinute ?? LIMIT_DEFAULTS.loopMaxMessagesPerMinute),
			};
		};
		const pauseOf = (wa: string) => {
			const [row] = env.store('SELECT value FROM records WHERE scope = ? AND key = ?', 'conversation-pause', subjectOf(wa));
			return row ? (JSON.parse(String(row.value)) as Json) : undefined;
		};
		/** The usage ledger's turn rows for the person (kept under their pseudonym). */
		const usageOf = (wa: string) => env.store('SELECT value FROM records WHERE scope = ? AND contact_key = ?', 'usage', subjectOf(wa)).map((r) => JSON.parse(String(r.value)) as Json);
		const notAnswered = { status: 'skipped', graphMessageIds: [] };

		/**
		 * A bot writing from `wa`: it sends `first`, then, each time a reply of ours reaches the fake Graph API, what
		 * `answer` makes of it (signed deliveries, as Meta's), ROUNDS messages at most. It stops when a message of its
		 * got no reply: the Auto-Reply recorded that message's outcome (which it does after sending) with nothing sent.
		 */
		async function bot(wa: string, first: string, answer: (reply: string) => string): Promise<{ messages: WebhookMessage[]; texts: string[] }> {
			const messages: WebhookMessage[] = [];
			const texts: string[] = [];
			let text = first;
			for (let round = 1; round <= ROUNDS; round++) {
				const before = env.sentTo(wa).length;
				const message = msg.text(wa, text);
				await deliver(message);
				messages.push(message);
				texts.push(text);
				const reply = await waitUntil(
					`our reply to bot message ${round} from ${wa}, or its outcome`,
					() => env.sentTo(wa)[before] ?? (env.replyOutcome(message.id) ? null : undefined),
					REPLY_TIMEOUT,
				);
				if (!reply) break;
				text = answer(textOf(reply));
			}
			return { messages, texts };
		}

		/** The bot's last message was the one the guard stopped at; those before it were answered, one reply each. */
		async function stoppedAtLast(wa: string, messages: WebhookMessage[]) {
			const last = messages.at(-1)!;
			expect(await waitForOutcome(last.id)).toMatchObject({ ...notAnswered, reason: 'loop_detected' });
			for (const m of messages.slice(0, -1)) expect(await waitForOutcome(m.id)).toMatchObject({ status: 'replied' });
			expect(env.sentTo(wa)).toHaveLength(messages.length - 1);
			// no read receipt for it either: the bot is not told it was seen
			expect(env.graph.readReceipts.filter((r) => r.messageId === last.id)).toEqual([]);
			// the AI is paused for the person, reason loop (the key is their pseudonym)
			expect(pauseOf(wa)).toMatchObject({ reason: 'loop' });
		}

		/** The usage ledger: one row for the turn the guard stopped, the later ones as paused. */
		async function usageSays(wa: string, paused: number) {
			await env.waitForDrained(WF);
			const usage = await waitUntil(`the usage rows of ${wa}`, () => {
				const rows = usageOf(wa);
				return rows.filter((u) => u.reason === 'loop_detected').length > 0 && rows;
			});
			expect(usage.filter((u) => u.reason === 'loop_detected')).toEqual([expect.objectContaining({ outcome: 'skipped', sent: 0 })]);
			expect(usage.filter((u) => u.reason === 'paused_by_loop_guard')).toHaveLength(paused);
		}

		it('a loop bot is stopped within the configured count', async () => {
			const { on, stopAfter } = loopSettings();
			expect({ on, stopAfter }).toEqual({ on: true, stopAfter: 3 });
			const wa = customer();
			const before = env.lastExecutionId();
			const opening = marker('LOOPHELLO');
			// an echo bot: each reply of ours comes straight back as its next message
			const { messages, texts } = await bot(wa, `Hello, do you sell ${opening}?`, (reply) => reply);
			const replies = env.sentTo(wa);
			expect(replies.length).toBeGreaterThanOrEqual(1);
			expect(replies.length).toBeLessThanOrEqual(stopAfter);
			expect(texts.slice(1)).toEqual(replies.map(textOf));
			await stoppedAtLast(wa, messages);

			// after the stop: neither the echo once more nor a new question gets a reply, a read receipt or a model call
			const question = marker('AFTERLOOP');
			const later = [msg.text(wa, textOf(replies.at(-1)!)), msg.text(wa, `Are you still there? ${question}`)];
			for (const m of later) {
				await deliver(m);
				expect(await waitForOutcome(m.id)).toMatchObject({ ...notAnswered, reason: 'paused_by_loop_guard' });
			}
			await sleep(QUIET_MS);
			expect(env.sentTo(wa)).toHaveLength(replies.length);
			expect(env.graph.readReceipts.filter((r) => later.some((m) => m.id === r.messageId))).toEqual([]);
			expect(env.ai.allReceivedText()).not.toContain(question);
			expect(pauseOf(wa)).toMatchObject({ reason: 'loop' });
			await usageSays(wa, later.length);
			for (const run of env.executionRows(WF).filter((r) => r.id > before)) expect(['error', 'crashed']).not.toContain(run.status);
		});

		it('a fixed auto-responder gets Repeats − 1 + Stop After replies at most, while a person writing at the same time is answered', async () => {
			const { repeats, stopAfter, perMinute } = loopSettings();
			expect({ repeats, stopAfter, perMinute }).toEqual({ repeats: 3, stopAfter: 3, perMinute: 20 });
			const wa = customer();
			const person = customer();
			const before = env.lastExecutionId();
			// a person asking "Hello?" twice (a repeat, not yet Repeats times) and then a question: three replies, no pause
			const talk = async () => {
				const topic = marker('NOTABOT');
				for (const text of ['Hello?', 'Hello?', `Do you deliver ${topic}?`]) {
					const m = msg.text(person, text);
					await deliver(m);
					expect(await waitForOutcome(m.id)).toMatchObject({ status: 'replied' });
				}
				expect(env.sentTo(person)).toHaveLength(3);
				expect(textOf(env.sentTo(person)[2])).toContain(topic);
			};
			// the bot's first message is not its fixed text (the worst case: one more reply before the repeats count)
			const [{ messages, texts }] = await Promise.all([bot(wa, `Hi! ${marker('AUTOHELLO')}`, () => AUTO_REPLY), talk()]);
			const replies = env.sentTo(wa);
			expect(replies.length).toBeGreaterThanOrEqual(1);
			expect(replies.length).toBeLessThanOrEqual(repeats - 1 + stopAfter);
			expect(texts.slice(1).every((t) => t === AUTO_REPLY)).toBe(true);
			await stoppedAtLast(wa, messages);

			await sleep(QUIET_MS);
			expect(env.sentTo(wa)).toHaveLength(replies.length);
			await usageSays(wa, 0);
			expect(pauseOf(person)).toBeUndefined();
			expect(env.sentTo(person)).toHaveLength(3);
			for (const run of env.executionRows(WF).filter((r) => r.id > before)) expect(['error', 'crashed']).not.toContain(run.status);
		});
	});
});
