import {
	DeliveryRejectedError,
	type InboundMessage,
	type MessageEchoUpdate,
	type StatusUpdate,
	type WebhookUpdate,
	isInboundMessage,
	isMessageEcho,
	isStatusUpdate,
	isUnknownField,
	isUserPreferencesUpdate,
	isValueError,
	mediaOf,
	parseDelivery,
} from '../../nodes/shared/whatsapp';
import { dedupeKey } from '../../nodes/WhatsAutoTrigger/webhook/dedupe';
import {
	ECHO_CHANGE,
	MESSAGES,
	METADATA,
	RATE_LIMIT_ERROR,
	SHEENA,
	STATUS_FAILED,
	STATUS_SENT,
	TEXT_DELIVERY,
	USER_PREFERENCES_CHANGE,
	WABA_ID,
	change,
	delivery,
	inbound,
} from '../fixtures/webhooks/cloud-api';

const text = (id: string, body: string, from = '16505551234') => ({
	from,
	id,
	timestamp: '1749416383',
	type: 'text',
	text: { body },
});

describe('rejection', () => {
	const cases: Array<[string, unknown, string]> = [
		['null', null, 'body is not a JSON object'],
		['an array', [TEXT_DELIVERY], 'body is not a JSON object'],
		['a string', 'whatsapp_business_account', 'body is not a JSON object'],
		['a number', 42, 'body is not a JSON object'],
		['another object', { ...TEXT_DELIVERY, object: 'page' }, 'object is not whatsapp_business_account'],
		['no object', { entry: TEXT_DELIVERY.entry }, 'object is not whatsapp_business_account'],
		['missing entry', { object: 'whatsapp_business_account' }, 'entry is missing or not an array'],
		['entry not an array', { object: 'whatsapp_business_account', entry: TEXT_DELIVERY.entry[0] }, 'entry is missing or not an array'],
	];

	it.each(cases)('rejects %s with status 400', (_name, body, reason) => {
		let thrown: unknown;
		try {
			parseDelivery(body);
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(DeliveryRejectedError);
		expect(thrown).toBeInstanceOf(Error);
		expect((thrown as DeliveryRejectedError).status).toBe(400);
		expect((thrown as DeliveryRejectedError).reason).toBe(reason);
		expect((thrown as DeliveryRejectedError).name).toBe('DeliveryRejectedError');
	});

	it('never echoes body content in the error', () => {
		const secret = 'Sheena-secret-text';
		for (const body of [secret, { object: secret, entry: [] }, { object: 'whatsapp_business_account', entry: secret }]) {
			try {
				parseDelivery(body);
				throw new Error('expected a rejection');
			} catch (error) {
				expect(error).toBeInstanceOf(DeliveryRejectedError);
				expect((error as Error).message).not.toContain(secret);
				expect((error as DeliveryRejectedError).reason).not.toContain(secret);
			}
		}
	});

	it('accepts an empty entry array', () => {
		expect(parseDelivery({ object: 'whatsapp_business_account', entry: [] })).toEqual([]);
	});
});

describe('batches', () => {
	it('2 entries × 2 changes × several messages, in order', () => {
		const body = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: 'WABA1',
					changes: [
						change('messages', { contacts: [SHEENA], messages: [text('m1', 'one'), text('m2', 'two')] }),
						change('messages', { statuses: [STATUS_SENT, { ...STATUS_SENT, status: 'delivered', timestamp: '1750030080' }] }),
					],
				},
				{
					id: 'WABA2',
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: { display_phone_number: '4930000000', phone_number_id: 'PN2' },
								contacts: [SHEENA],
								messages: [text('m3', 'three'), text('m4', 'four'), text('m5', 'five')],
							},
						},
						change('messages', { errors: [RATE_LIMIT_ERROR] }),
					],
				},
			],
		};
		const updates = parseDelivery(body);
		expect(updates.map((u) => [u.kind, u.businessAccountId])).toEqual([
			['message', 'WABA1'],
			['message', 'WABA1'],
			['status', 'WABA1'],
			['status', 'WABA1'],
			['message', 'WABA2'],
			['message', 'WABA2'],
			['message', 'WABA2'],
			['error', 'WABA2'],
		]);
		const messages = updates.filter(isInboundMessage);
		expect(messages.map((m) => m.text)).toEqual(['one', 'two', 'three', 'four', 'five']);
		expect(messages.map((m) => m.phoneNumberId)).toEqual([
			METADATA.phone_number_id,
			METADATA.phone_number_id,
			'PN2',
			'PN2',
			'PN2',
		]);
		expect(messages[2].displayPhoneNumber).toBe('4930000000');
		expect(updates.filter(isStatusUpdate).map((s) => s.status)).toEqual(['sent', 'delivered']);
	});

	it('a single messages change carrying messages, statuses and errors yields all of them', () => {
		const updates = parseDelivery(
			delivery(change('messages', { contacts: [SHEENA], messages: [text('m1', 'hi')], statuses: [STATUS_SENT], errors: [RATE_LIMIT_ERROR] })),
		);
		expect(updates.map((u) => u.kind)).toEqual(['message', 'status', 'error']);
	});

	it('skips malformed elements without dropping the rest', () => {
		const updates = parseDelivery({
			object: 'whatsapp_business_account',
			entry: [
				null,
				'x',
				{ id: WABA_ID },
				{ id: WABA_ID, changes: 'nope' },
				{
					id: WABA_ID,
					changes: [
						null,
						{ field: 'messages' },
						{ value: { messages: [text('orphan', 'no field')] } },
						{ field: 'messages', value: ['not', 'an', 'object'] },
						change('messages', {
							contacts: [SHEENA],
							messages: [
								null,
								42,
								{ ...text('x', 'no id'), id: undefined },
								{ ...text('', 'empty id') },
								{ ...text('bad-ts', 'bad timestamp'), timestamp: 'yesterday' },
								{ ...text('huge-ts', 'out of range'), timestamp: 1e300 },
								text('good', 'kept'),
							],
							statuses: [{ id: 'no-status', timestamp: '1' }, { status: 'read', timestamp: '1' }, { ...STATUS_SENT, timestamp: null }],
						}),
					],
				},
			],
		});
		expect(updates).toHaveLength(1);
		expect((updates[0] as InboundMessage).messageId).toBe('good');
	});

	it('never throws a TypeError on hostile shapes', () => {
		const hostile: unknown[] = [
			{ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { metadata: null, contacts: null, messages: [{ id: 'a', timestamp: '1', type: 'text', text: null, context: 'x', referral: 7, errors: 'e' }] } }] }] },
			delivery(change('messages', { contacts: [null, 'x', { profile: null }], messages: [{ id: 'b', timestamp: '1', type: 'contacts', contacts: [null, { name: null, phones: 'x', org: 'y' }] }] })),
			delivery(change('messages', { messages: [{ id: 'c', timestamp: '1', type: 'order', order: { product_items: [null, { quantity: 'x' }] } }] })),
			delivery(change('messages', { messages: [{ id: 'd', timestamp: '1', type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: null } } }] })),
			delivery(change('messages', { statuses: [{ id: 'e', status: 'sent', timestamp: '1', conversation: 'x', pricing: [], errors: [null, { error_data: null }] }] })),
			delivery(change('messages', { messages: [{ id: 'f', timestamp: '1', type: '__proto__' }, { id: 'g', timestamp: '1', type: 'constructor' }] })),
			delivery(change('user_preferences', { user_preferences: [null, { wa_id: '1' }] })),
			delivery(change('smb_message_echoes', { message_echoes: [null, { id: 'h', timestamp: '1', type: 'reaction', reaction: {} }] })),
		];
		for (const body of hostile) expect(() => parseDelivery(body)).not.toThrow();
		const [weird] = parseDelivery(hostile[0]);
		expect(weird).toMatchObject({ kind: 'message', type: 'unsupported', businessAccountId: '', phoneNumberId: '', contactKey: '' });
		const [proto, ctor] = parseDelivery(hostile[5]) as InboundMessage[];
		expect(proto.type).toBe('unsupported');
		expect(ctor.type).toBe('unsupported');
	});
});

describe('statuses (§2.1)', () => {
	it('sent with conversation and pricing', () => {
		const [s] = parseDelivery(delivery(change('messages', { statuses: [STATUS_SENT] })));
		expect(s).toEqual({
			kind: 'status',
			businessAccountId: WABA_ID,
			phoneNumberId: METADATA.phone_number_id,
			displayPhoneNumber: METADATA.display_phone_number,
			field: 'messages',
			messageId: 'wamid.OUT1',
			status: 'sent',
			recipientId: '16505551234',
			timestamp: '2025-06-15T23:27:53.000Z',
			timestampUnix: 1750030073,
			conversation: { id: '72b14d6bd5407799e66f64d1b338e567', expirationTimestamp: '1750116480', originType: 'marketing' },
			pricing: { billable: true, pricingModel: 'PMP', category: 'marketing', type: 'regular' },
		});
	});

	it('failed with errors', () => {
		const [s] = parseDelivery(delivery(change('messages', { statuses: [STATUS_FAILED] }))) as StatusUpdate[];
		expect(s.status).toBe('failed');
		expect(s.errors).toEqual([
			{
				code: 131049,
				title: 'This message was not delivered to maintain healthy ecosystem engagement.',
				message: 'This message was not delivered to maintain healthy ecosystem engagement.',
				details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
				href: '/documentation/business-messaging/whatsapp/support/error-codes',
			},
		]);
		expect(s).not.toHaveProperty('pricing');
	});

	it('read without delivered, BSUID recipient, opaque callback data', () => {
		const updates = parseDelivery(
			delivery(
				change('messages', {
					statuses: [
						{ ...STATUS_SENT, id: 'wamid.R', status: 'sent' },
						{
							id: 'wamid.R',
							status: 'read',
							timestamp: 1750030090,
							recipient_user_id: 'US.13491208655302741918',
							biz_opaque_callback_data: 'ticket-7',
						},
					],
				}),
			),
		) as StatusUpdate[];
		expect(updates.map((u) => u.status)).toEqual(['sent', 'read']);
		expect(updates[1]).toMatchObject({
			messageId: 'wamid.R',
			recipientUserId: 'US.13491208655302741918',
			bizOpaqueCallbackData: 'ticket-7',
			timestampUnix: 1750030090,
		});
		expect(updates[1]).not.toHaveProperty('recipientId');
	});

	it('unknown status values are passed through', () => {
		const [s] = parseDelivery(delivery(change('messages', { statuses: [{ ...STATUS_SENT, status: 'warning' }] }))) as StatusUpdate[];
		expect(s.status).toBe('warning');
	});
});

describe('value errors (§2.2)', () => {
	it('one update per value.errors entry', () => {
		const updates = parseDelivery(
			delivery(change('messages', { errors: [RATE_LIMIT_ERROR, { code: '131000', title: 'Something went wrong' }] })),
		);
		expect(updates).toEqual([
			{
				kind: 'error',
				businessAccountId: WABA_ID,
				phoneNumberId: METADATA.phone_number_id,
				displayPhoneNumber: METADATA.display_phone_number,
				field: 'messages',
				error: {
					code: 130429,
					title: 'Rate limit hit',
					message: 'Rate limit hit',
					details:
						'Message failed to send because there were too many messages sent from this phone number in a short period of time',
					href: '/documentation/business-messaging/whatsapp/support/error-codes',
				},
			},
			expect.objectContaining({ kind: 'error', error: { code: 131000, title: 'Something went wrong' } }),
		]);
		expect(updates.every(isValueError)).toBe(true);
	});
});

describe('user_preferences (§2.3)', () => {
	it('stop and resume', () => {
		const resume = {
			...USER_PREFERENCES_CHANGE,
			value: {
				...USER_PREFERENCES_CHANGE.value,
				user_preferences: [{ wa_id: '15557654321', category: 'marketing_messages', value: 'resume', timestamp: '1731700500' }],
			},
		};
		const updates = parseDelivery({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [USER_PREFERENCES_CHANGE, resume] }] });
		expect(updates).toEqual([
			{
				kind: 'user_preferences',
				businessAccountId: WABA_ID,
				phoneNumberId: '100000000000001',
				displayPhoneNumber: '15550001111',
				field: 'user_preferences',
				waId: '15557654321',
				category: 'marketing_messages',
				value: 'stop',
				detail: 'User requested to stop marketing messages',
				timestamp: '2024-11-15T19:46:40.000Z',
				timestampUnix: 1731700000,
			},
			expect.objectContaining({ kind: 'user_preferences', value: 'resume', timestampUnix: 1731700500 }),
		]);
		expect(updates.every(isUserPreferencesUpdate)).toBe(true);
	});
});

describe('smb_message_echoes (§2.3)', () => {
	it('text echo', () => {
		const updates = parseDelivery({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [ECHO_CHANGE] }] });
		expect(updates).toEqual([
			{
				kind: 'message_echo',
				businessAccountId: WABA_ID,
				phoneNumberId: '100000000000001',
				displayPhoneNumber: '15550001111',
				field: 'smb_message_echoes',
				from: '15550001111',
				to: '15557654321',
				messageId: 'wamid.ECHO1',
				type: 'text',
				text: 'Hi, this is Ana from the shop',
				timestamp: '2024-11-15T19:48:20.000Z',
				timestampUnix: 1731700100,
			},
		]);
		expect(isMessageEcho(updates[0])).toBe(true);
	});

	it('media echo to a BSUID reuses the inbound per-type parsing', () => {
		const [e] = parseDelivery(
			delivery(
				change('smb_message_echoes', {
					message_echoes: [
						{ ...MESSAGES.document, from: '15550783881', to_user_id: 'US.1', id: 'wamid.ECHO2' },
						{ ...MESSAGES.location, from: '15550783881', to: '16505551234', id: 'wamid.ECHO3' },
					],
				}),
			),
		) as MessageEchoUpdate[];
		expect(e).toMatchObject({ kind: 'message_echo', type: 'document', to: '', toUserId: 'US.1', text: 'my receipt' });
		expect(mediaOf(e)?.mediaId).toBe('622684793477189');
	});
});

describe('unknown fields', () => {
	it('are passed through raw', () => {
		const value = { phone_number: '15550783881', event: 'VERIFIED_ACCOUNT' };
		const updates = parseDelivery(delivery({ field: 'account_update', value }));
		expect(updates).toEqual([
			{
				kind: 'unknown_field',
				businessAccountId: WABA_ID,
				phoneNumberId: '',
				displayPhoneNumber: '',
				field: 'account_update',
				value,
			},
		]);
		expect(isUnknownField(updates[0])).toBe(true);
	});
});

describe('dedupeKey', () => {
	const keys = (body: unknown) => parseDelivery(body).map(dedupeKey);

	it('is stable across redeliveries (including re-serialised JSON)', () => {
		const bodies = [
			TEXT_DELIVERY,
			delivery(change('messages', { statuses: [STATUS_SENT, STATUS_FAILED] })),
			delivery(change('messages', { errors: [RATE_LIMIT_ERROR] })),
			{ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [USER_PREFERENCES_CHANGE, ECHO_CHANGE] }] },
			delivery({ field: 'account_update', value: { a: 1, b: { c: [1, 2] } } }),
		];
		for (const body of bodies) {
			const first = keys(body);
			expect(first.length).toBeGreaterThan(0);
			expect(keys(JSON.parse(JSON.stringify(body)))).toEqual(first);
		}
		expect(keys(delivery({ field: 'account_update', value: { b: { c: [1, 2] }, a: 1 } }))).toEqual(
			keys(delivery({ field: 'account_update', value: { a: 1, b: { c: [1, 2] } } })),
		);
	});

	it('ignores everything but identity for messages (a redelivery with a different contact name is the same)', () => {
		const again = inbound(text('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', 'Does it come in another color?'));
		expect(keys(again)).toEqual(keys(TEXT_DELIVERY));
	});

	it('distinguishes different updates', () => {
		const all: WebhookUpdate[] = [
			...parseDelivery(inbound(text('m1', 'a'), text('m2', 'a'))),
			...parseDelivery(
				delivery(
					change('messages', {
						statuses: [
							{ ...STATUS_SENT, id: 'wamid.S' },
							{ ...STATUS_SENT, id: 'wamid.S', status: 'delivered' },
							{ ...STATUS_SENT, id: 'wamid.S', status: 'read' },
							{ ...STATUS_FAILED, id: 'wamid.S' },
							{ ...STATUS_FAILED, id: 'wamid.S', errors: [{ code: 131047, title: 'Re-engagement message' }] },
						],
						errors: [RATE_LIMIT_ERROR, { ...RATE_LIMIT_ERROR, code: 131000 }],
					}),
				),
			),
			...parseDelivery(
				delivery(
					change('user_preferences', {
						user_preferences: [
							{ wa_id: '1', category: 'marketing_messages', value: 'stop', timestamp: '100' },
							{ wa_id: '1', category: 'marketing_messages', value: 'resume', timestamp: '100' },
							{ wa_id: '1', category: 'marketing_messages', value: 'stop', timestamp: '200' },
							{ wa_id: '2', category: 'marketing_messages', value: 'stop', timestamp: '100' },
						],
					}),
					change('smb_message_echoes', { message_echoes: [text('m1', 'echo with an inbound id')] }),
					{ field: 'account_update', value: { event: 'A' } },
					{ field: 'account_update', value: { event: 'B' } },
					{ field: 'history', value: { event: 'A' } },
				),
			),
		];
		expect(all).toHaveLength(17);
		const unique = new Set(all.map(dedupeKey));
		expect(unique.size).toBe(all.length);
	});

	it('same message id on two phone numbers gives different keys', () => {
		const a = parseDelivery(inbound(text('m1', 'x')));
		const b = parseDelivery({
			object: 'whatsapp_business_account',
			entry: [{ id: WABA_ID, changes: [{ field: 'messages', value: { metadata: { phone_number_id: 'OTHER' }, messages: [text('m1', 'x')] } }] }],
		});
		expect(dedupeKey(a[0])).not.toBe(dedupeKey(b[0]));
	});

	it('keys do not contain message content', () => {
		for (const key of keys(TEXT_DELIVERY)) expect(key).not.toContain('color');
		for (const key of keys(delivery({ field: 'account_update', value: { secret: 'Sheena' } }))) expect(key).not.toContain('Sheena');
	});
});
