import {
	type InboundMessage,
	type MessageType,
	isMediaMessage,
	mediaOf,
	parseDelivery,
} from '../../nodes/shared/whatsapp';
import { ctwaReferral } from '../../devkit/fakes/webhook-payloads';
import { MESSAGES, SHEENA, change, delivery, inbound } from '../fixtures/webhooks/cloud-api';

function one(message: Record<string, unknown>): InboundMessage {
	const updates = parseDelivery(inbound(message));
	expect(updates).toHaveLength(1);
	const [update] = updates;
	if (update.kind !== 'message') throw new Error(`expected a message, got ${update.kind}`);
	return update;
}

function ofType<T extends MessageType>(message: Record<string, unknown>, type: T): Extract<InboundMessage, { type: T }> {
	const parsed = one(message);
	expect(parsed.type).toBe(type);
	return parsed as Extract<InboundMessage, { type: T }>;
}

describe('inbound message types (reference §2)', () => {
	it('image: media details with base64 sha256, caption as text', () => {
		const m = ofType(MESSAGES.image, 'image');
		expect(m.text).toBe('Taj Mahal');
		expect(m.image).toEqual({
			mediaId: '1003383421387256',
			mimeType: 'image/jpeg',
			sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
			caption: 'Taj Mahal',
			url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...',
		});
		expect(m.timestamp).toBe('2025-04-11T04:08:16.000Z');
		expect(m.timestampUnix).toBe(1744344496);
		expect(mediaOf(m)).toBe(m.image);
		expect(isMediaMessage(m)).toBe(true);
	});

	it('video without caption has text ""', () => {
		const m = ofType(MESSAGES.video, 'video');
		expect(m.text).toBe('');
		expect(m.video.mediaId).toBe('1166846181421424');
		expect(m.video).not.toHaveProperty('caption');
		expect(mediaOf(m)?.mimeType).toBe('video/mp4');
	});

	it('audio: voice note flag, forwarded audio is voice false', () => {
		const voice = ofType(MESSAGES.audio, 'audio');
		expect(voice.text).toBe('');
		expect(voice.audio).toEqual({
			mediaId: '1908647269898587',
			mimeType: 'audio/ogg; codecs=opus',
			sha256: 'wvqXMe6n7n1W0zphvLPoLj+s/NtKqmr3zZ7YzTP7xFI=',
			url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...',
			voice: true,
		});
		const file = ofType({ ...MESSAGES.audio, audio: { ...MESSAGES.audio.audio, voice: false } }, 'audio');
		expect(file.audio.voice).toBe(false);
		const { voice: _omitted, ...noFlag } = MESSAGES.audio.audio;
		expect(ofType({ ...MESSAGES.audio, audio: noFlag }, 'audio').audio.voice).toBe(false);
	});

	it('document: filename and caption', () => {
		const m = ofType(MESSAGES.document, 'document');
		expect(m.text).toBe('my receipt');
		expect(m.document).toMatchObject({ mediaId: '622684793477189', filename: 'receipt.pdf', caption: 'my receipt' });
		expect(mediaOf(m)).toBe(m.document);
	});

	it('sticker: animated flag', () => {
		const m = ofType(MESSAGES.sticker, 'sticker');
		expect(m.text).toBe('');
		expect(m.sticker).toMatchObject({ mediaId: '1908647269898587', mimeType: 'image/webp', animated: true });
	});

	it('media file_size given as a string is normalised to a number', () => {
		const m = ofType({ ...MESSAGES.image, image: { ...MESSAGES.image.image, file_size: '20480' } }, 'image');
		expect(m.image.fileSize).toBe(20480);
	});

	it('location: place summary with rounded coordinates', () => {
		const m = ofType(MESSAGES.location, 'location');
		expect(m.text).toBe('Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301 (37.44221, -122.16166)');
		expect(m.location).toEqual({
			latitude: 37.44221496582,
			longitude: -122.16165924072,
			name: 'Philz Coffee',
			address: '101 Forest Ave, Palo Alto, CA 94301',
			url: 'https://philzcoffee.com/',
		});
	});

	it('location pin without a place: only coordinates (strings accepted)', () => {
		const m = ofType({ ...MESSAGES.location, location: { latitude: '37.5', longitude: '-122.25' } }, 'location');
		expect(m.text).toBe('37.5, -122.25');
		expect(m.location).toEqual({ latitude: 37.5, longitude: -122.25 });
	});

	it('contacts: normalised vCards, formatted names joined', () => {
		const m = ofType(MESSAGES.contacts, 'contacts');
		expect(m.text).toBe('Chandler Bing, Monica Geller');
		expect(m.contacts[0]).toEqual({
			name: {
				formattedName: 'Chandler Bing',
				firstName: 'Chandler',
				lastName: 'Bing',
				middleName: 'Muriel',
				suffix: 'Jr',
				prefix: 'Mr',
			},
			phones: [{ phone: '+1 555-555-5555', waId: '15555555555', type: 'CELL' }],
			emails: [{ email: 'chandler@example.com', type: 'WORK' }],
			addresses: [
				{
					street: '1 Hacker Way',
					city: 'Menlo Park',
					state: 'CA',
					zip: '94025',
					country: 'United States',
					countryCode: 'us',
					type: 'HOME',
				},
			],
			urls: [{ url: 'https://example.com', type: 'WORK' }],
			org: { company: 'WhatsApp', department: 'Design', title: 'Manager' },
			birthday: '1968-04-08',
		});
		expect(m.contacts[1]).toEqual({
			name: { formattedName: 'Monica Geller' },
			phones: [],
			emails: [],
			addresses: [],
			urls: [],
		});
	});

	it('interactive list_reply: title as text, context points at our message', () => {
		const m = ofType(MESSAGES.listReply, 'interactive');
		expect(m.text).toBe('Priority Mail Express');
		expect(m.interactive).toEqual({
			type: 'list_reply',
			listReply: { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
		});
		expect(m.context).toEqual({
			from: '15550783881',
			messageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=',
			forwarded: false,
			frequentlyForwarded: false,
		});
	});

	it('interactive button_reply', () => {
		const m = ofType(MESSAGES.buttonReply, 'interactive');
		expect(m.text).toBe('Cancel');
		expect(m.interactive).toEqual({ type: 'button_reply', buttonReply: { id: 'cancel-button', title: 'Cancel' } });
	});

	it('interactive nfm_reply: body as text, response_json parsed and kept verbatim', () => {
		const m = ofType(MESSAGES.nfmReply, 'interactive');
		expect(m.text).toBe('Sent');
		expect(m.interactive.nfmReply).toEqual({
			name: 'flow',
			body: 'Sent',
			response: { flow_token: '<FLOW_TOKEN>', optional_param1: '<value1>' },
			responseJson: '{"flow_token": "<FLOW_TOKEN>", "optional_param1": "<value1>"}',
		});
	});

	it('interactive nfm_reply with unparsable or non-object response_json: response undefined', () => {
		for (const responseJson of ['{not json', '[1,2]', '42']) {
			const m = ofType(
				{
					...MESSAGES.nfmReply,
					interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } },
				},
				'interactive',
			);
			expect(m.interactive.nfmReply?.response).toBeUndefined();
			expect(m.interactive.nfmReply?.responseJson).toBe(responseJson);
			expect(m.text).toBe('Sent');
		}
	});

	it('interactive of an unknown subtype keeps its type with text ""', () => {
		const m = ofType({ ...MESSAGES.buttonReply, interactive: { type: 'product_reply', product_reply: {} } }, 'interactive');
		expect(m.interactive).toEqual({ type: 'product_reply' });
		expect(m.text).toBe('');
	});

	it('button (template quick reply)', () => {
		const m = ofType(MESSAGES.button, 'button');
		expect(m.text).toBe('Unsubscribe');
		expect(m.button).toEqual({ payload: 'Unsubscribe', text: 'Unsubscribe' });
		expect(m.context?.messageId).toBe('wamid.TEMPLATE');
	});

	it('reaction: emoji as text', () => {
		const m = ofType(MESSAGES.reaction, 'reaction');
		expect(m.text).toBe('😮');
		expect(m.reaction).toEqual({
			messageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=',
			emoji: '😮',
			removed: false,
		});
	});

	it('reaction removed: no emoji, or emoji ""', () => {
		const messageId = MESSAGES.reaction.reaction.message_id;
		for (const reaction of [{ message_id: messageId }, { message_id: messageId, emoji: '' }]) {
			const m = ofType({ ...MESSAGES.reaction, reaction }, 'reaction');
			expect(m.text).toBe('');
			expect(m.reaction).toEqual({ messageId, emoji: '', removed: true });
		}
	});

	it('order: short summary as text', () => {
		const m = ofType(MESSAGES.order, 'order');
		expect(m.text).toBe('Order: 3 × HAMBURGER (30 ILS)');
		expect(m.order).toEqual({
			catalogId: '354160437058781',
			text: '',
			productItems: [{ productRetailerId: 'HAMBURGER', quantity: 3, itemPrice: 30, currency: 'ILS' }],
		});
	});

	it('order with several items, string numbers and a note', () => {
		const m = ofType(
			{
				...MESSAGES.order,
				order: {
					catalog_id: '354160437058781',
					text: 'No onions please',
					product_items: [
						{ product_retailer_id: 'HAMBURGER', quantity: '2', item_price: '30', currency: 'ILS' },
						{ product_retailer_id: 'COLA', quantity: 1, item_price: 7.5, currency: 'ILS' },
					],
				},
			},
			'order',
		);
		expect(m.text).toBe('Order: 2 × HAMBURGER (30 ILS), 1 × COLA (7.5 ILS)\nNo onions please');
		expect(m.order.productItems[0]).toEqual({ productRetailerId: 'HAMBURGER', quantity: 2, itemPrice: 30, currency: 'ILS' });
	});

	it('system (user changed number) has no contacts; sender from `from`', () => {
		const updates = parseDelivery(delivery(change('messages', { messages: [MESSAGES.system] })));
		expect(updates).toHaveLength(1);
		const m = updates[0] as Extract<InboundMessage, { type: 'system' }>;
		expect(m.type).toBe('system');
		expect(m.text).toBe('User Sheena Nelson changed from 16505551234 to 12195555358');
		expect(m.system).toEqual({
			type: 'user_changed_number',
			body: 'User Sheena Nelson changed from 16505551234 to 12195555358',
			waId: '12195555358',
		});
		expect(m.from).toEqual({ waId: '16505551234' });
		expect(m.contactKey).toBe('16505551234');
	});

	it('request_welcome', () => {
		const m = ofType(MESSAGES.requestWelcome, 'request_welcome');
		expect(m.text).toBe('');
		expect(m.from).toEqual({ waId: '16505551234', name: 'Sheena Nelson' });
		expect(mediaOf(m)).toBeUndefined();
		expect(isMediaMessage(m)).toBe(false);
	});

	it('unsupported from Meta: original type and errors kept', () => {
		const m = ofType(MESSAGES.unsupported, 'unsupported');
		expect(m.text).toBe('');
		expect(m.unsupported).toEqual({ type: 'edit' });
		expect(m.errors).toEqual([
			{
				code: 131051,
				title: 'Message type unknown',
				message: 'Message type unknown',
				details: 'Message type is currently not supported.',
			},
		]);
	});

	it('older unsupported payloads without the unsupported object', () => {
		const { unsupported: _omitted, ...older } = MESSAGES.unsupported;
		expect(ofType(older, 'unsupported').unsupported).toEqual({});
	});

	it('made-up types become unsupported with the original type', () => {
		const base = { from: '16505551234', timestamp: '1750090702' };
		const madeUp = ofType({ ...base, id: 'wamid.HOLO', type: 'hologram', hologram: { depth: 3 } }, 'unsupported');
		expect(madeUp.unsupported).toEqual({ type: 'hologram' });
		const untyped = ofType({ ...base, id: 'wamid.NOTYPE' }, 'unsupported');
		expect(untyped.unsupported).toEqual({});
	});

	it('a known type with a missing or malformed payload becomes unsupported instead of throwing', () => {
		const base = { from: '16505551234', timestamp: '1750090702' };
		const cases: Array<[string, unknown]> = [
			['text', undefined],
			['image', { caption: 'no id' }],
			['location', { name: 'nowhere' }],
			['contacts', { not: 'an array' }],
			['interactive', null],
			['reaction', 'x'],
		];
		for (const [type, payload] of cases) {
			const m = ofType({ ...base, id: `wamid.${type}`, type, [type]: payload }, 'unsupported');
			expect(m.unsupported).toEqual({ type });
		}
	});
});

describe('sender and context', () => {
	it('full §1.4 text envelope', () => {
		const updates = parseDelivery(inbound({
			from: '16505551234',
			id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
			timestamp: '1749416383',
			type: 'text',
			text: { body: 'Does it come in another color?' },
		}));
		expect(updates).toEqual([
			{
				kind: 'message',
				businessAccountId: '102290129340398',
				phoneNumberId: '106540352242922',
				displayPhoneNumber: '15550783881',
				field: 'messages',
				from: { waId: '16505551234', name: 'Sheena Nelson' },
				contactKey: '16505551234',
				messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
				type: 'text',
				text: 'Does it come in another color?',
				timestamp: '2025-06-08T20:59:43.000Z',
				timestampUnix: 1749416383,
			},
		]);
	});

	it('BSUID user: no from, from_user_id plus contacts user_id/username', () => {
		const updates = parseDelivery(
			delivery(
				change('messages', {
					contacts: [
						{
							profile: { name: 'Sheena Nelson', username: 'sheena.n' },
							user_id: 'US.13491208655302741918',
							parent_user_id: 'US.PARENT.1',
						},
					],
					messages: [
						{
							from_user_id: 'US.13491208655302741918',
							id: 'wamid.BSUID',
							timestamp: '1774915200',
							type: 'text',
							text: { body: 'hi' },
						},
					],
				}),
			),
		);
		const m = updates[0] as InboundMessage;
		expect(m.from).toEqual({
			userId: 'US.13491208655302741918',
			username: 'sheena.n',
			name: 'Sheena Nelson',
			parentUserId: 'US.PARENT.1',
		});
		expect(m.contactKey).toBe('US.13491208655302741918');
	});

	it('contactKey falls back to contacts user_id when the message names nobody', () => {
		const updates = parseDelivery(
			delivery(
				change('messages', {
					contacts: [{ profile: { name: 'A' }, user_id: 'US.1' }],
					messages: [{ id: 'wamid.NOFROM', timestamp: '1774915200', type: 'text', text: { body: 'x' } }],
				}),
			),
		);
		expect((updates[0] as InboundMessage).contactKey).toBe('US.1');
		expect((updates[0] as InboundMessage).from).toEqual({ userId: 'US.1', name: 'A' });
	});

	it('each message in a change is matched to its own contact', () => {
		const updates = parseDelivery(
			delivery(
				change('messages', {
					contacts: [SHEENA, { profile: { name: 'Bob' }, wa_id: '4915112345678' }],
					messages: [
						{ ...MESSAGES.requestWelcome, id: 'wamid.A' },
						{ ...MESSAGES.requestWelcome, id: 'wamid.B', from: '4915112345678' },
						{ ...MESSAGES.requestWelcome, id: 'wamid.C', from: '999' },
					],
				}),
			),
		) as InboundMessage[];
		expect(updates.map((u) => u.from)).toEqual([
			{ waId: '16505551234', name: 'Sheena Nelson' },
			{ waId: '4915112345678', name: 'Bob' },
			{ waId: '999' },
		]);
	});

	it('context forwarded / frequently_forwarded / referred_product', () => {
		const text = { from: '16505551234', timestamp: '1749416383', type: 'text', text: { body: 'fwd' } };
		const [forwarded, frequently, referred] = parseDelivery(
			inbound(
				{ ...text, id: 'wamid.F1', context: { forwarded: true } },
				{ ...text, id: 'wamid.F2', context: { frequently_forwarded: true } },
				{
					...text,
					id: 'wamid.F3',
					context: {
						from: '15550783881',
						id: 'wamid.CATALOG',
						referred_product: { catalog_id: '354160437058781', product_retailer_id: 'HAMBURGER' },
					},
				},
			),
		) as InboundMessage[];
		expect(forwarded.context).toEqual({ forwarded: true, frequentlyForwarded: false });
		expect(frequently.context).toEqual({ forwarded: false, frequentlyForwarded: true });
		expect(referred.context).toEqual({
			from: '15550783881',
			messageId: 'wamid.CATALOG',
			forwarded: false,
			frequentlyForwarded: false,
			referredProduct: { catalogId: '354160437058781', productRetailerId: 'HAMBURGER' },
		});
		expect(forwarded.text).toBe('fwd');
	});

	it('referral (click-to-WhatsApp ad) on an image message', () => {
		const m = one({
			...MESSAGES.image,
			referral: ctwaReferral({ image_url: 'https://scontent.xx.fbcdn.net/v/t45.1...', ctwa_clid: 'Aff-n8ZT…' }),
		});
		expect(m.referral).toEqual({
			sourceUrl: 'https://fb.me/3cr4Wqqkv',
			sourceId: '120226305854810726',
			sourceType: 'ad',
			body: 'Summer Succulents are here!',
			headline: 'Chat with us',
			mediaType: 'image',
			imageUrl: 'https://scontent.xx.fbcdn.net/v/t45.1...',
			ctwaClid: 'Aff-n8ZT…',
			welcomeMessage: 'Hi there! Let us know how we can help!',
		});
		expect(m.type).toBe('image');
	});

	it('video-ad referral without ctwa_clid (Status ad)', () => {
		const m = one({
			...MESSAGES.requestWelcome,
			referral: {
				source_url: 'u',
				source_id: 's',
				source_type: 'ad',
				media_type: 'video',
				video_url: 'https://v',
				thumbnail_url: 'https://t',
			},
		});
		expect(m.referral).toEqual({
			sourceUrl: 'u',
			sourceId: 's',
			sourceType: 'ad',
			mediaType: 'video',
			videoUrl: 'https://v',
			thumbnailUrl: 'https://t',
		});
	});
});
