/**
 * WhatsAuto GPT-4 Auto-Reply in n8n-core's engine, against the fake Graph API and the fake OpenAI: for every
 * inbound message type, the input that reaches the model and the message(s) that reach WhatsApp; Markdown to
 * WhatsApp formatting and splitting; and the whole chain WhatsAuto Trigger → Auto-Reply from a signed webhook.
 */
import {
	ACCOUNT,
	customerBlocks,
	REPLY_NODE,
	replySuite,
	SAMPLE_DOCX,
	SAMPLE_WEBP,
	sampleMp4,
	sentTexts,
	TRIGGER_NODE,
	userText,
	WA,
	type ReplyRig,
} from './reply-harness';

import type { IDataObject } from 'n8n-workflow';

import { completionTokenLimit } from '../../nodes/WhatsAutoReply/actions/reply/model';
import { DEFAULTS } from '../../nodes/WhatsAutoReply/actions/reply/options';
import { samplePdf, samplePng, sampleAudio, sha256 } from '../../devkit/fakes/openai';
import { envelope, msg, standbyChange, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import { isStandby, parseDelivery } from '../../nodes/shared/whatsapp';

jest.setTimeout(30_000);

const MODEL_ANSWER = 'Thanks for asking! We are open until six.';

let rig: ReplyRig;
/** CONTENT: what the customers wrote in this file (`said`): none of it may reach a log line or an error message. */
const { said, content: CONTENT } = replySuite(MODEL_ANSWER, { started: (started) => (rig = started) });

/** Runs one message through the node and returns its single output item. */
async function replyTo(message: WebhookMessage, options: IDataObject = {}) {
	const result = await rig.runReply(rig.inbound([message]), { options });
	expect(result.error).toBeUndefined();
	expect(result.out).toHaveLength(1);
	expect(result.items[0].pairedItem).toEqual({ item: 0 });
	return { ...result, out: result.out[0] };
}

function onlyChat() {
	expect(rig.ai.chatRequests).toHaveLength(1);
	return rig.ai.chatRequests[0];
}

/** The one text message sent, addressed to the customer. */
function onlySentText(): string {
	expect(rig.graph.sent).toHaveLength(1);
	const sent = rig.graph.sent[0];
	expect(sent).toMatchObject({ type: 'text', to: WA });
	expect(sent.body).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'individual', to: WA, type: 'text' });
	expect((sent.body.text as { preview_url?: boolean }).preview_url).toBe(false);
	return sentTexts(rig.graph)[0];
}

function mediaDownloads(): number {
	return rig.graph.requests.filter((r) => r.path.includes('/whatsapp_business/attachments')).length;
}

describe('text', () => {
	it('puts the text inside <customer_content> in the user turn and sends the answer, quoted, after read + typing', async () => {
		const message = msg.text(WA, said('Olá! Vocês entregam em Lisboa amanhã?'));
		const { out } = await replyTo(message, { quoteMessage: true });

		const chat = onlyChat();
		expect(chat.model).toBe('gpt-4o');
		expect(chat.body.temperature).toBe(0.3);
		expect(chat.messages[0].text).toContain('customer-service assistant of Lucky Shrub');
		expect(chat.messages[0].text).not.toContain('Lisboa');
		const { inside, outside } = customerBlocks(userText(chat));
		expect(inside).toEqual(['\nOlá! Vocês entregam em Lisboa amanhã?\n']);
		expect(outside).toContain('The customer wrote:');
		expect(chat.messages[1].content).toEqual([{ type: 'text', text: userText(chat) }]);

		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: message.id });
		expect(rig.graph.readReceipts).toEqual([expect.objectContaining({ messageId: message.id, typing: true })]);
		expect(rig.graph.typingIndicators).toHaveLength(1);
		// the read receipt (with typing) went out before the model was asked, the reply after it answered
		expect(rig.graph.readReceipts[0].at.getTime()).toBeLessThanOrEqual(chat.at.getTime());

		expect(out).toMatchObject({
			messageId: message.id,
			to: WA,
			type: 'text',
			status: 'replied',
			replies: [MODEL_ANSWER],
			graphMessageIds: [rig.graph.sent[0].id],
			understood: { source: 'text' },
			model: 'gpt-4o',
			fallback: false,
			skipped: false,
		});
		expect(out.usage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number), totalTokens: expect.any(Number) });
		expect(typeof out.latencyMs).toBe('number');
	});

	it('does not quote by default, and sends neither read receipt nor typing when both are off', async () => {
		await replyTo(msg.text(WA, said('Just checking in')), { markAsRead: false, typingIndicator: false });
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(rig.graph.sent[0].body).not.toHaveProperty('context');
		expect(rig.graph.readReceipts).toHaveLength(0);
	});

	it('marks as read without typing when only the typing indicator is off', async () => {
		const message = msg.text(WA, said('Only blue ticks please'));
		await replyTo(message, { typingIndicator: false });
		expect(rig.graph.readReceipts).toEqual([expect.objectContaining({ messageId: message.id, typing: false })]);
		expect(rig.graph.typingIndicators).toHaveLength(0);
	});
});

describe('photos and stickers', () => {
	it('sends a photo as an inline data: URL of the exact bytes, never Meta’s URL, with the caption as customer content', async () => {
		const png = samplePng(3, 2, [10, 200, 30]);
		const media = rig.graph.addMedia({ bytes: png, mimeType: 'image/png' });
		// the webhook's own download URL (a lookaside URL since late 2025) is in the item; it must not travel on
		const message = msg.image(WA, media, {
			caption: said('Does this come in blue?'),
			url: `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=${media.id}&ext=1795774800&hash=ATsecret`,
		});
		const { out } = await replyTo(message);

		const chat = onlyChat();
		expect(chat.images).toHaveLength(1);
		expect(chat.images[0]).toMatchObject({ kind: 'data', mimeType: 'image/png', format: 'png', width: 3, height: 2, sha256: sha256(png) });
		expect(chat.images[0].bytes!.equals(png)).toBe(true);
		const parts = chat.messages[1].content as Array<{ type: string; image_url?: { url: string } }>;
		expect(parts.map((p) => p.type)).toEqual(['text', 'image_url']);
		expect(parts[1].image_url!.url).toBe(`data:image/png;base64,${png.toString('base64')}`);
		expect(customerBlocks(userText(chat)).inside).toEqual(['\nDoes this come in blue?\n']);
		expect(userText(chat)).toContain('The customer sent a photo.');

		// two-step download from the fake Graph API, with the token
		expect(rig.graph.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${media.id}`))).toHaveLength(1);
		expect(mediaDownloads()).toBe(1);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'image' } });
	});

	it('looks at a static sticker as an image', async () => {
		const media = rig.graph.addMedia({ bytes: SAMPLE_WEBP, mimeType: 'image/webp' });
		const { out } = await replyTo(msg.sticker(WA, media, { animated: false }));
		const chat = onlyChat();
		expect(chat.images).toHaveLength(1);
		expect(chat.images[0]).toMatchObject({ kind: 'data', mimeType: 'image/webp', format: 'webp' });
		expect(chat.images[0].bytes!.equals(SAMPLE_WEBP)).toBe(true);
		expect(userText(chat)).toContain('The customer sent a sticker.');
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'sticker' } });
	});

	it('describes an animated sticker in text only, without downloading it', async () => {
		const media = rig.graph.addMedia({ bytes: SAMPLE_WEBP, mimeType: 'image/webp' });
		const { out } = await replyTo(msg.sticker(WA, media, { animated: true }));
		const chat = onlyChat();
		expect(chat.images).toHaveLength(0);
		expect(userText(chat)).toContain('The customer sent an animated sticker.');
		expect(rig.graph.requests.some((r) => r.path.endsWith(`/${media.id}`))).toBe(false);
		expect(mediaDownloads()).toBe(0);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'sticker' } });
	});
});

describe('voice notes, audio and video', () => {
	it('transcribes an audio/ogg;codecs=opus voice note as .ogg with the chosen model, then answers the transcript', async () => {
		const ogg = sampleAudio('ogg', 3, 1);
		const transcript = said('Hi, can I pick up my order at six tonight?');
		rig.ai.setTranscript(ogg, transcript);
		const media = rig.graph.addMedia({ bytes: ogg, mimeType: 'audio/ogg; codecs=opus' });
		const { out } = await replyTo(msg.audio(WA, media, { voice: true }), { transcriptionModel: 'whisper-1' });

		expect(rig.ai.transcriptionRequests).toHaveLength(1);
		const transcription = rig.ai.transcriptionRequests[0];
		expect(transcription).toMatchObject({ model: 'whisper-1', filename: 'media.ogg', status: 200, text: transcript });
		expect(transcription.bytes.equals(ogg)).toBe(true);
		expect(transcription.contentType).toMatch(/^audio\/ogg/);

		const chat = onlyChat();
		expect(chat.at.getTime()).toBeGreaterThanOrEqual(transcription.at.getTime());
		expect(userText(chat)).toContain('The customer sent a voice note; it says:');
		expect(customerBlocks(userText(chat)).inside).toEqual([`\n${transcript}\n`]);
		expect(chat.audio).toHaveLength(0);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		// the transcript stays out of n8n's execution data unless asked for
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'voice_note', extractedChars: transcript.length } });
		expect(out.understood).not.toHaveProperty('extracted');
	});

	it('transcribes a forwarded audio file with the default model and shows the transcript when asked', async () => {
		const mp3 = sampleAudio('mp3', 2, 2);
		const transcript = said('This is the recording of the delivery address.');
		rig.ai.setTranscript(mp3, transcript);
		const media = rig.graph.addMedia({ bytes: mp3, mimeType: 'audio/mpeg' });
		const { out } = await replyTo(msg.audio(WA, media, { voice: false }), { includeUnderstanding: true });
		expect(rig.ai.transcriptionRequests[0]).toMatchObject({ model: 'gpt-4o-mini-transcribe', filename: 'media.mp3' });
		expect(userText(onlyChat())).toContain('The customer sent an audio file; it says:');
		expect(out).toMatchObject({ understood: { source: 'audio', extractedChars: transcript.length, extracted: transcript } });
	});

	it('transcribes a video’s sound track (.mp4) and gives the model the transcript and the caption', async () => {
		const mp4 = sampleMp4();
		const transcript = said('As you can see the pot arrived cracked on one side.');
		rig.ai.setTranscript(mp4, transcript);
		const media = rig.graph.addMedia({ bytes: mp4, mimeType: 'video/mp4' });
		const caption = said('Look at this damage');
		const { out } = await replyTo(msg.video(WA, media, { caption }), { transcriptionModel: 'gpt-4o-transcribe' });

		expect(rig.ai.transcriptionRequests).toHaveLength(1);
		expect(rig.ai.transcriptionRequests[0]).toMatchObject({ model: 'gpt-4o-transcribe', filename: 'media.mp4', status: 200 });
		expect(rig.ai.transcriptionRequests[0].bytes.equals(mp4)).toBe(true);
		const chat = onlyChat();
		expect(userText(chat)).toContain('The customer sent a video; its sound track says:');
		expect(userText(chat)).toContain('Video caption:');
		expect(customerBlocks(userText(chat)).inside).toEqual([`\n${transcript}\n`, `\n${caption}\n`]);
		expect(chat.images).toHaveLength(0);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'video', extractedChars: transcript.length } });
	});
});

describe('documents', () => {
	it('gives a PDF to the model as a file part with a data: URL of the exact bytes', async () => {
		const pdf = samplePdf(['Invoice 2291', 'Total 49.90 EUR']);
		const media = rig.graph.addMedia({ bytes: pdf, mimeType: 'application/pdf', filename: 'invoice-2291.pdf' });
		const caption = said('Why was I charged twice?');
		const { out } = await replyTo(msg.document(WA, media, { filename: 'invoice-2291.pdf', caption }));

		const chat = onlyChat();
		expect(chat.files).toHaveLength(1);
		expect(chat.files[0]).toMatchObject({ filename: 'invoice-2291.pdf', mimeType: 'application/pdf', pages: 2, sha256: sha256(pdf) });
		expect(chat.files[0].bytes!.equals(pdf)).toBe(true);
		const parts = chat.messages[1].content as Array<{ type: string; file?: { file_data: string } }>;
		expect(parts.map((p) => p.type)).toEqual(['text', 'file']);
		expect(parts[1].file!.file_data).toBe(`data:application/pdf;base64,${pdf.toString('base64')}`);
		expect(userText(chat)).toContain('The customer sent a PDF document (invoice-2291.pdf).');
		expect(customerBlocks(userText(chat)).inside).toEqual([`\n${caption}\n`]);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'pdf' } });
	});

	it.each([
		['notes.txt', 'text/plain', 'Question: are you open on Sunday 14 December?\nThanks, Sheena'],
		['order.csv', 'text/csv', 'sku,quantity\nFERN-01,2\nCACTUS-07,1\n'],
	])('reads a %s inline as text', async (filename, mimeType, body) => {
		said(body);
		const media = rig.graph.addMedia({ bytes: Buffer.from(body, 'utf8'), mimeType, filename });
		const { out } = await replyTo(msg.document(WA, media, { filename }));
		const chat = onlyChat();
		expect(chat.files).toHaveLength(0);
		expect(userText(chat)).toContain(`The customer sent a text file (${filename}).`);
		expect(userText(chat)).toContain('File content:');
		expect(customerBlocks(userText(chat)).inside).toContain(`\n${body}\n`);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'text_file', extractedChars: body.length } });
	});

	it('answers a .docx with the polite "please send a PDF" reply without asking the model', async () => {
		const media = rig.graph.addMedia({
			bytes: SAMPLE_DOCX,
			mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
			filename: 'quote.docx',
		});
		const { out } = await replyTo(msg.document(WA, media, { filename: 'quote.docx' }));
		expect(rig.ai.chatRequests).toHaveLength(0);
		expect(rig.ai.requests).toHaveLength(0);
		expect(onlySentText()).toBe(DEFAULTS.unreadableDocumentReply);
		expect(out).toMatchObject({ status: 'replied', replies: [DEFAULTS.unreadableDocumentReply], understood: { source: 'unreadable_document' } });
	});
});

describe('structured messages as text', () => {
	const cases: Array<[string, () => WebhookMessage, string]> = [
		[
			'a location',
			() => msg.location(WA, { latitude: 38.71078, longitude: -9.13932, name: 'Lucky Shrub Baixa', address: 'Rua Augusta 24, Lisboa' }),
			'The customer shared a location: Lucky Shrub Baixa, Rua Augusta 24, Lisboa (38.71078, -9.13932)',
		],
		[
			'contacts',
			() => msg.contacts(WA, [{ name: { formatted_name: 'Ana Lima', first_name: 'Ana' }, phones: [{ phone: '+351 912 345 678', type: 'CELL' }] }]),
			'The customer shared contact card(s): Ana Lima',
		],
		[
			'an interactive button reply',
			() => msg.buttonReply(WA, { id: 'track', title: 'Track my order' }),
			'The customer chose "Track my order" from the options the business sent.',
		],
		[
			'an interactive list reply',
			() => msg.listReply(WA, { id: 'returns', title: 'Returns', description: '30-day policy' }),
			'The customer chose "Returns" from the options the business sent.',
		],
		['a template quick-reply button', () => msg.button(WA, { payload: 'MORE_INFO', text: 'Tell me more' }), 'The customer tapped the button "Tell me more".'],
		[
			'a catalog order',
			() =>
				msg.order(WA, {
					catalog_id: '194836987003835',
					text: 'Gift wrap please',
					product_items: [{ product_retailer_id: 'FERN-01', quantity: 2, item_price: 12.5, currency: 'EUR' }],
				}),
			'The customer sent an order from the catalog:\nOrder: 2 × FERN-01 (12.5 EUR)\nGift wrap please',
		],
	];

	it.each(cases)('renders %s as text inside <customer_content>', async (_name, build, rendered) => {
		said(rendered.split(': ').pop()!);
		const { out } = await replyTo(build());
		const chat = onlyChat();
		expect(chat.images).toHaveLength(0);
		expect(chat.files).toHaveLength(0);
		const { inside, outside } = customerBlocks(userText(chat));
		expect(outside).toContain('The customer’s message:');
		expect(inside).toEqual([`\n${rendered}\n`]);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'structured' } });
	});
});

describe('messages answered without the model, or not at all', () => {
	it('skips a reaction: no model, nothing sent, no "typing…" for a reply that never comes', async () => {
		const { out } = await replyTo(msg.reaction(WA, 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA', '👍'));
		expect(rig.ai.requests).toHaveLength(0);
		expect(rig.graph.sent).toHaveLength(0);
		expect(rig.graph.typingIndicators).toHaveLength(0);
		expect(out).toMatchObject({ status: 'skipped', skipped: true, reason: 'reaction', graphMessageIds: [] });
	});

	it('answers a reaction through the model when reactions are set to Reply', async () => {
		const { out } = await replyTo(msg.reaction(WA, 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA', '❤️'), { reactions: 'reply' });
		const { inside, outside } = customerBlocks(userText(onlyChat()));
		expect(outside).toContain('The customer reacted to a message with:');
		expect(inside).toEqual(['\n❤️\n']);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied' });
	});

	it('sends the welcome message for request_welcome without the model', async () => {
		const { out } = await replyTo(msg.requestWelcome(WA), { welcomeMessage: 'Welcome to Lucky Shrub! 🌿 How can we help?' });
		expect(rig.ai.requests).toHaveLength(0);
		expect(onlySentText()).toBe('Welcome to Lucky Shrub! 🌿 How can we help?');
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'welcome' } });
	});

	it('asks the customer to resend an unsupported message', async () => {
		const { out } = await replyTo(msg.unsupported(WA, 'poll_creation'));
		expect(rig.ai.requests).toHaveLength(0);
		expect(onlySentText()).toBe(DEFAULTS.unsupportedReply);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'unsupported' } });
	});

	it('skips a system notice (number change): no model, nothing sent', async () => {
		const { out } = await replyTo(msg.system(WA, { newWaId: '16505559999' }));
		expect(rig.ai.requests).toHaveLength(0);
		expect(rig.graph.sent).toHaveLength(0);
		expect(rig.graph.typingIndicators).toHaveLength(0);
		expect(out).toMatchObject({ status: 'skipped', skipped: true, reason: 'system' });
	});
});

/** Nothing reached the model or the customer: no chat, no send, no read receipt, no "typing…". */
function expectSilence(): void {
	expect(rig.ai.requests).toHaveLength(0);
	expect(rig.graph.sent).toHaveLength(0);
	expect(rig.graph.readReceipts).toHaveLength(0);
	expect(rig.graph.typingIndicators).toHaveLength(0);
}

describe('edits, deletions, forms, call permissions, identity changes', () => {
	const ORIGINAL = 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzRUIwQTM4QTk1RDg4RjI1NjdBRAA=';

	it('skips a deleted message (revoke) with a reason, never with "I can’t open this"', async () => {
		const { out } = await replyTo(msg.revoke(WA, ORIGINAL));
		expectSilence();
		expect(out).toMatchObject({ status: 'skipped', skipped: true, reason: 'revoked', graphMessageIds: [], type: 'revoke' });
		expect(JSON.stringify(out)).not.toContain(DEFAULTS.unsupportedReply);
	});

	it('answers the corrected content of an edited message, telling the model it was edited', async () => {
		const corrected = said('Sorry, I meant size M, not L');
		const { out } = await replyTo(msg.edit(WA, ORIGINAL, { type: 'text', text: { body: corrected } }), { quoteMessage: true });
		const { inside, outside } = customerBlocks(userText(onlyChat()));
		expect(inside).toEqual([`\n${corrected}\n`]);
		expect(outside).toContain('The customer edited an earlier message');
		expect(onlySentText()).toBe(MODEL_ANSWER);
		// quoted as the message the customer sees: the corrected original, not the edit event
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: ORIGINAL });
		expect(out).toMatchObject({ status: 'replied', type: 'text', understood: { source: 'text' } });
	});

	it('does not ask to resend when Meta delivers an edit only as an unsupported message of type edit', async () => {
		const { out } = await replyTo(msg.unsupported(WA, 'edit'));
		expectSilence();
		expect(out).toMatchObject({ status: 'skipped', skipped: true, reason: 'edit_unavailable' });
	});

	it('tells the model the answer to a call permission request, with its expiry and source', async () => {
		const expiresAt = Math.floor(Date.now() / 1000) + 7 * 86_400;
		const { out } = await replyTo(msg.callPermissionReply(WA, { response: 'accept', expiresAt, source: 'user_action' }));
		const { inside, outside } = customerBlocks(userText(onlyChat()));
		expect(outside).toContain('request for permission to call them');
		expect(inside).toEqual([`\nCall permission: accepted (expires ${new Date(expiresAt * 1000).toISOString()}, source user_action)\n`]);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'structured' } });
	});

	it('does not answer a call permission granted automatically (the customer called; nothing was written)', async () => {
		const { out } = await replyTo(msg.callPermissionReply(WA, { response: 'accept', source: 'automatic' }));
		expectSilence();
		expect(out).toMatchObject({ status: 'skipped', reason: 'call_permission_automatic' });
	});

	it('gives the model a WhatsApp Flow’s submitted fields as lines, flattened and masked, without the flow token', async () => {
		const response = {
			flow_token: 'FT-7f3a9c1e-secret',
			full_name: said('Ana Lima'),
			email: 'ana.lima@example.com',
			card: '4111 1111 1111 1111',
			iban: 'DE89 3704 0044 0532 0130 00',
			phone: '+351 912 345 678',
			delivery: { city: said('Lisbon'), slot: 'morning' },
			extras: ['gift wrap', 'card'],
			newsletter: true,
		};
		const { out } = await replyTo(msg.nfmReply(WA, { response }));
		const text = userText(onlyChat());
		const { inside, outside } = customerBlocks(text);
		expect(outside).toContain('The customer submitted a form');
		expect(inside).toHaveLength(1);
		expect(inside[0].trim().split('\n')).toEqual([
			'full_name: Ana Lima',
			'email: [email]',
			'card: [card]',
			'iban: [iban]',
			'phone: [phone]',
			'delivery.city: Lisbon',
			'delivery.slot: morning',
			'extras: gift wrap, card',
			'newsletter: yes',
		]);
		for (const secret of ['FT-7f3a9c1e-secret', 'flow_token', 'ana.lima@example.com', '4111', 'DE89', '912']) expect(text).not.toContain(secret);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(out).toMatchObject({ status: 'replied', understood: { source: 'structured' } });
	});

	it('falls back to the form’s body text when response_json is not JSON, never failing', async () => {
		const { out } = await replyTo(msg.nfmReply(WA, { response: '{not json', body: said('Booking sent') }));
		const { inside, outside } = customerBlocks(userText(onlyChat()));
		expect(outside).toContain('The customer submitted a form');
		expect(inside).toEqual(['\nBooking sent\n']);
		expect(out).toMatchObject({ status: 'replied' });
	});

	it('does not answer identity changes (user_changed_user_id without a phone number, user_changed_number)', async () => {
		for (const message of [msg.userIdChanged('US.13491208655302741918', 'US.99887766554433221100'), msg.system(WA, { newWaId: '16505559999' })]) {
			rig.resetFakes();
			const { out } = await replyTo(message);
			expectSilence();
			expect(out).toMatchObject({ status: 'skipped', skipped: true, reason: 'system' });
		}
	});
});

describe('standby: Meta’s Business Agent holds the conversation', () => {
	/** Items as the trigger's Events output carries a standby delivery. */
	function standbyItems(messages: WebhookMessage[]) {
		const payload = envelope(ACCOUNT, [standbyChange(ACCOUNT, messages, { names: 'Sheena' })]);
		rig.graph.noteInbound(envelope(ACCOUNT, [{ ...payload.entry[0].changes[0], field: 'messages' }]));
		return parseDelivery(JSON.parse(JSON.stringify(payload)))
			.filter(isStandby)
			.map((update) => ({ json: JSON.parse(JSON.stringify(update)) as IDataObject }));
	}

	it('skips a standby item: no model, no send, no read receipt, reason held_by_meta_agent', async () => {
		const message = msg.text(WA, said('Can I talk to a person?'));
		const result = await rig.runReply(standbyItems([message]));
		expect(result.error).toBeUndefined();
		expectSilence();
		expect(result.out).toEqual([
			expect.objectContaining({ kind: 'standby', status: 'skipped', skipped: true, reason: 'held_by_meta_agent', graphMessageIds: [], messageIds: [message.id], to: WA }),
		]);
	});

	it('skips a message flagged standby: true (split out of a standby item) the same way', async () => {
		const message = msg.text(WA, said('Still there?'));
		const [standby] = standbyItems([message]);
		const inner = (standby.json.messages as IDataObject[])[0];
		expect(inner.standby).toBe(true);
		const result = await rig.runReply([{ json: inner }]);
		expect(result.error).toBeUndefined();
		expectSilence();
		expect(result.out).toEqual([expect.objectContaining({ messageId: message.id, status: 'skipped', skipped: true, reason: 'held_by_meta_agent' })]);
	});
});

describe('formatting and length', () => {
	it('converts the model’s Markdown to WhatsApp formatting', async () => {
		rig.ai.setResponder(() => '## Opening hours\n\n**Mon–Sat** 9:00–18:00, *Sunday* closed.\n\n- Fern: ~~€15~~ €12\n- See [our shop](https://lucky.example/shop)\n\n`code`');
		await replyTo(msg.text(WA, said('When are you open?')));
		const body = onlySentText();
		expect(body).toContain('*Mon–Sat*');
		expect(body).toContain('_Sunday_');
		expect(body).toContain('~€15~');
		expect(body).toContain('`code`');
		expect(body).toContain('https://lucky.example/shop');
		expect(body).not.toMatch(/\*\*|##|~~|\]\(/);
	});

	it('splits a long answer into the fewest messages of at most 4,096 characters, quoting only the first', async () => {
		const sentences = Array.from({ length: 112 }, (_, i) => `Sentence number ${i + 1} explains one more detail about our plant care service.`);
		const answer = sentences.join(' ');
		expect(answer.length).toBeGreaterThan(2 * 4096);
		expect(answer.length).toBeLessThan(3 * 4096 - 200);
		rig.ai.setResponder(() => answer);
		const message = msg.text(WA, said('Tell me everything about plant care'));
		const { out } = await replyTo(message, { maxReplyChars: 9000, quoteMessage: true });

		const bodies = sentTexts(rig.graph);
		expect(bodies).toHaveLength(3);
		for (const body of bodies) expect(body.length).toBeLessThanOrEqual(4096);
		expect(bodies.join(' ')).toBe(answer);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: message.id });
		expect(rig.graph.sent[1].body).not.toHaveProperty('context');
		expect(out).toMatchObject({ status: 'replied', graphMessageIds: rig.graph.sent.map((s) => s.id) });
		expect(rig.ai.chatRequests[0].body.max_completion_tokens).toBe(completionTokenLimit(9000));
	});

	it('cuts an answer longer than Max Reply Length at a sentence end', async () => {
		rig.ai.setResponder(() => `${'We have ferns. '.repeat(20)}And cacti too.`);
		const { out } = await replyTo(msg.text(WA, said('What plants do you sell?')), { maxReplyChars: 100 });
		const body = onlySentText();
		expect(body.length).toBeLessThanOrEqual(100);
		expect(body).toMatch(/ferns\.$/);
		expect(out.replies).toEqual([body]);
	});
});

describe('WhatsAuto Trigger → Auto-Reply in one execution', () => {
	it('answers a signed webhook delivery end to end', async () => {
		const message = msg.text(WA, said('Is the monstera in stock?'));
		const payload = rig.envelopeFor([message]);
		rig.graph.noteInbound(payload);
		const result = await rig.runChain(payload, { options: { quoteMessage: true } });

		expect(result.status).toBe(200);
		expect(result.error).toBeUndefined();
		expect(result.order).toEqual([TRIGGER_NODE, REPLY_NODE]);
		expect(result.out).toEqual([expect.objectContaining({ messageId: message.id, status: 'replied', replies: [MODEL_ANSWER] })]);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(customerBlocks(userText(onlyChat())).inside).toEqual(['\nIs the monstera in stock?\n']);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(rig.graph.sent[0].body.context).toEqual({ message_id: message.id });
		expect(rig.graph.readReceipts.map((r) => r.messageId)).toEqual([message.id]);
	});

	it('uses the photo the trigger downloaded into binary data, without downloading it again', async () => {
		const png = samplePng(4, 4, [0, 90, 200]);
		const media = rig.graph.addMedia({ bytes: png, mimeType: 'image/png' });
		const message = msg.image(WA, media, { caption: said('Which plant is this?') });
		const payload = rig.envelopeFor([message]);
		rig.graph.noteInbound(payload);
		const result = await rig.runChain(payload, { triggerParameters: { options: { downloadMedia: true } } });

		expect(result.error).toBeUndefined();
		const triggerItem = result.run.data.resultData.runData[TRIGGER_NODE][0].data!.main[0]![0];
		expect(triggerItem.binary?.data).toMatchObject({ mimeType: 'image/png' });
		expect(mediaDownloads()).toBe(1); // the trigger's; the Auto-Reply node read n8n's binary data
		expect(onlyChat().images[0].bytes!.equals(png)).toBe(true);
		expect(result.out[0]).toMatchObject({ status: 'replied', understood: { source: 'image' } });
	});

	it('answers an edit with its corrected content and skips a deletion, from one signed delivery', async () => {
		const original = msg.text(WA, said('Do you have the fern in stock?'));
		const edit = msg.edit(WA, original.id, { type: 'text', text: { body: said('Do you have the cactus in stock?') } });
		const revoke = msg.revoke(WA, original.id);
		const payload = rig.envelopeFor([edit, revoke]);
		rig.graph.noteInbound(payload);
		const result = await rig.runChain(payload);
		expect(result.error).toBeUndefined();
		expect(result.out.map((o) => [o.messageId, o.type, o.status, o.reason])).toEqual([
			[edit.id, 'text', 'replied', undefined],
			[revoke.id, 'revoke', 'skipped', 'revoked'],
		]);
		expect(customerBlocks(userText(onlyChat())).inside).toEqual(['\nDo you have the cactus in stock?\n']);
		expect(onlySentText()).toBe(MODEL_ANSWER);
		expect(rig.graph.readReceipts.map((r) => r.messageId)).toEqual([edit.id]);
	});

	it('answers a batch of messages from two customers, one reply each, paired to its trigger item', async () => {
		const other = '447700900123';
		const messages = [msg.text(WA, said('First question')), msg.text(other, said('Second customer here'))];
		const payload = rig.envelopeFor(messages);
		rig.graph.noteInbound(payload);
		const result = await rig.runChain(payload);
		expect(result.out.map((o) => [o.messageId, o.to, o.status])).toEqual([
			[messages[0].id, WA, 'replied'],
			[messages[1].id, other, 'replied'],
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(rig.graph.sent.map((s) => s.to)).toEqual([WA, other]);
		expect(rig.ai.chatRequests).toHaveLength(2);
	});
});

describe('logs', () => {
	it('never wrote message content, captions or transcripts to a log line or an error message', () => {
		expect(rig.logs.filter((line) => line.source === 'n8n').length).toBeGreaterThan(10);
		expect(rig.leaks(CONTENT)).toEqual([]);
	});
});
