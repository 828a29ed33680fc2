/**
 * The parser for the less common inbound kinds: coexistence edit/revoke, call permission replies, identity
 * changes (number, business-scoped user id, security code), group fields on statuses, both shapes of error
 * details, and `standby` (Meta's Business Agent holds the conversation).
 */
import {
	type InboundMessage,
	type MessageType,
	type StandbyUpdate,
	type StatusUpdate,
	type UserPreferencesUpdate,
	isInboundMessage,
	isStandby,
	mediaOf,
	parseDelivery,
} from '../../nodes/shared/whatsapp';
import { dedupeKey } from '../../nodes/WhatsAutoTrigger/webhook/dedupe';
import {
	CALL_PERMISSION_REPLY,
	EDIT,
	EDIT_IMAGE,
	ECHO_CHANGE,
	IDENTITY,
	MESSAGES,
	METADATA,
	RATE_LIMIT_ERROR,
	REVOKE,
	SHEENA,
	STANDBY_CHANGE,
	STATUS_FAILED,
	STATUS_GROUP,
	SYSTEM_IDENTITY_CHANGED,
	SYSTEM_USER_ID_CHANGED,
	USER_PREFERENCES_CHANGE,
	WABA_ID,
	change,
	delivery,
	inbound,
} from '../fixtures/webhooks/cloud-api';

function one(message: Record<string, unknown>, withContacts = true): InboundMessage {
	const body = withContacts ? inbound(message) : delivery(change('messages', { messages: [message] }));
	const updates = parseDelivery(body);
	expect(updates).toHaveLength(1);
	const [update] = updates;
	if (update.kind !== 'message') throw new Error(`expected a message, got ${update.kind}`);
	return update;
}

function ofType<T extends MessageType>(message: Record<string, unknown>, type: T, withContacts = true): Extract<InboundMessage, { type: T }> {
	const parsed = one(message, withContacts);
	expect(parsed.type).toBe(type);
	return parsed as Extract<InboundMessage, { type: T }>;
}

describe('revoke (coexistence): the customer deleted a message', () => {
	it('names the revoked message and carries no content', () => {
		const m = ofType(REVOKE, 'revoke');
		expect(m).toMatchObject({
			kind: 'message',
			messageId: 'wamid.REVOKE',
			text: '',
			revokedMessageId: 'wamid.ORIGINAL',
			revoke: { originalMessageId: 'wamid.ORIGINAL' },
			from: { waId: '16505551234', name: 'Sheena Nelson' },
			contactKey: '16505551234',
			timestampUnix: 1750090900,
		});
		expect(mediaOf(m)).toBeUndefined();
	});

	it('a revoke without the original message id is unsupported, not a crash', () => {
		const m = ofType({ ...REVOKE, revoke: {} }, 'unsupported');
		expect(m.unsupported).toEqual({ type: 'revoke' });
	});
});

describe('edit (coexistence): the customer corrected a message', () => {
	it('the corrected text is the content; the edit event keeps its own id and names the original', () => {
		const m = ofType(EDIT, 'text');
		expect(m).toMatchObject({
			kind: 'message',
			messageId: 'wamid.EDIT',
			text: 'Actually, I need it in green',
			edited: true,
			editedMessageId: 'wamid.ORIGINAL',
			timestampUnix: 1750090800,
			from: { waId: '16505551234', name: 'Sheena Nelson' },
			context: { messageId: 'wamid.CONTEXT', forwarded: false, frequentlyForwarded: false },
		});
		expect(m).not.toHaveProperty('edit');
		expect(m).not.toHaveProperty('unsupported');
	});

	it('an edited caption keeps the embedded media, typed like any image', () => {
		const m = ofType(EDIT_IMAGE, 'image');
		expect(m.text).toBe('This one, not the other');
		expect(m).toMatchObject({ edited: true, editedMessageId: 'wamid.ORIGINALIMG', messageId: 'wamid.EDITIMG' });
		expect(mediaOf(m)).toEqual({
			mediaId: '1003383421387257',
			mimeType: 'image/jpeg',
			sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
			caption: 'This one, not the other',
		});
	});

	it('an edit without a readable embedded message (or an edit of an edit) is an unsupported edit, flagged edited', () => {
		for (const edit of [{ original_message_id: 'wamid.ORIGINAL' }, { original_message_id: 'wamid.ORIGINAL', message: { type: 'edit', edit: EDIT.edit } }]) {
			const m = ofType({ ...EDIT, edit }, 'unsupported');
			expect(m).toMatchObject({ unsupported: { type: 'edit' }, edited: true, editedMessageId: 'wamid.ORIGINAL', text: '' });
		}
	});

	it('Meta’s interim shape (an unsupported message of type edit) is flagged edited', () => {
		const m = ofType(MESSAGES.unsupported, 'unsupported');
		expect(m).toMatchObject({ unsupported: { type: 'edit' }, edited: true });
		expect(m).not.toHaveProperty('editedMessageId');
	});
});

describe('interactive call_permission_reply', () => {
	it('keeps the answer, its expiry and source, and says them in text', () => {
		const m = ofType(CALL_PERMISSION_REPLY, 'interactive');
		expect(m.interactive).toEqual({
			type: 'call_permission_reply',
			callPermissionReply: {
				response: 'accept',
				expirationTimestamp: 1750695800,
				expiresAt: '2025-06-23T16:23:20.000Z',
				responseSource: 'user_action',
				isPermanent: false,
			},
		});
		expect(m.text).toBe('Call permission: accepted (expires 2025-06-23T16:23:20.000Z, source user_action)');
	});

	it('rejected, permanent and automatic answers', () => {
		const reply = (r: Record<string, unknown>) =>
			ofType({ ...CALL_PERMISSION_REPLY, interactive: { type: 'call_permission_reply', call_permission_reply: r } }, 'interactive');
		expect(reply({ response: 'reject', response_source: 'user_action' }).text).toBe('Call permission: rejected (source user_action)');
		expect(reply({ response: 'accept', is_permanent: true, response_source: 'automatic' }).text).toBe(
			'Call permission: accepted (permanent, source automatic)',
		);
		expect(reply({}).text).toBe('Call permission: unknown');
	});
});

describe('error details in both of Meta’s shapes', () => {
	const TOP_LEVEL = { code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.' };
	const EXPECTED = { code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.' };

	it('on messages', () => {
		const m = ofType({ ...MESSAGES.unsupported, errors: [TOP_LEVEL] }, 'unsupported');
		expect(m.errors).toEqual([EXPECTED]);
	});

	it('on statuses', () => {
		const [s] = parseDelivery(delivery(change('messages', { statuses: [{ ...STATUS_FAILED, errors: [{ ...TOP_LEVEL, code: 131049 }] }] }))) as StatusUpdate[];
		expect(s.errors).toEqual([{ ...EXPECTED, code: 131049 }]);
	});

	it('at value level; error_data.details wins when both are there', () => {
		const { error_data: _nested, ...flat } = RATE_LIMIT_ERROR;
		const updates = parseDelivery(
			delivery(change('messages', { errors: [{ ...flat, details: 'top-level details' }, { ...RATE_LIMIT_ERROR, details: 'ignored' }] })),
		);
		expect(updates.map((u) => (u.kind === 'error' ? u.error.details : undefined))).toEqual([
			'top-level details',
			RATE_LIMIT_ERROR.error_data.details,
		]);
	});
});

describe('group and identity fields', () => {
	it('statuses: recipient type, group participant and identity key hash', () => {
		const [s] = parseDelivery(delivery(change('messages', { statuses: [{ ...STATUS_GROUP, recipient_parent_user_id: 'US.ENT.1' }] }))) as StatusUpdate[];
		expect(s).toMatchObject({
			messageId: 'wamid.OUTGROUP',
			status: 'read',
			recipientId: '120363025246125486',
			recipientType: 'group',
			recipientParticipantId: '16505551234',
			recipientIdentityKeyHash: 'GhIbK0o2X3w=',
			recipientParentUserId: 'US.ENT.1',
		});
	});

	it('the identity block on a message of a customer whose identity changed', () => {
		const m = ofType({ ...MESSAGES.requestWelcome, identity: IDENTITY }, 'request_welcome');
		expect(m.identity).toEqual({ acknowledged: false, createdTimestamp: 1750269300, hash: 'Sjvjlx8G6Z0=' });
		expect(ofType(MESSAGES.requestWelcome, 'request_welcome')).not.toHaveProperty('identity');
	});

	it('customer_identity_changed: the security code changed, not the id: no identityChange', () => {
		const m = ofType(SYSTEM_IDENTITY_CHANGED, 'system', false);
		expect(m.system).toEqual({
			type: 'customer_identity_changed',
			body: 'Sheena Nelson’s security code changed',
			identity: 'Sjvjlx8G6Z0=',
			customer: '16505551234',
		});
		expect(m).not.toHaveProperty('identityChange');
	});

	it('user_changed_number: identityChange from the old to the new phone number', () => {
		const m = ofType(MESSAGES.system, 'system', false);
		expect(m.identityChange).toEqual({ previous: '16505551234', current: '12195555358', kind: 'phone' });
		// the legacy name and shape (customer_changed_number, new_wa_id, customer) too
		const legacy = ofType(
			{ ...MESSAGES.system, system: { type: 'customer_changed_number', body: 'changed', new_wa_id: '12195555358', customer: '16505550000' } },
			'system',
			false,
		);
		expect(legacy.identityChange).toEqual({ previous: '16505550000', current: '12195555358', kind: 'phone' });
	});

	it('user_changed_user_id: the previous and new business-scoped ids, keyed under the previous one', () => {
		const m = ofType(SYSTEM_USER_ID_CHANGED, 'system', false);
		expect(m.system).toEqual({
			type: 'user_changed_user_id',
			body: 'User Sheena Nelson changed their business-scoped user ID',
			userId: 'US.99887766554433221100',
			parentUserId: 'US.ENT.222',
			previousUserId: 'US.13491208655302741918',
			previousParentUserId: 'US.ENT.111',
		});
		expect(m.identityChange).toEqual({ previous: 'US.13491208655302741918', current: 'US.99887766554433221100', kind: 'user_id' });
		expect(m.from).toEqual({});
		expect(m.contactKey).toBe('US.13491208655302741918');
	});

	it('user_changed_user_id variants: new_user_id, and the previous id only as from_user_id', () => {
		const m = ofType(
			{ ...SYSTEM_USER_ID_CHANGED, from_user_id: 'US.OLD', system: { type: 'user_changed_user_id', body: 'changed', new_user_id: 'US.NEW' } },
			'system',
			false,
		);
		expect(m.identityChange).toEqual({ previous: 'US.OLD', current: 'US.NEW', kind: 'user_id' });
		expect(m.contactKey).toBe('US.OLD');
		// nothing to follow without both ids
		expect(ofType({ ...SYSTEM_USER_ID_CHANGED, system: { type: 'user_changed_user_id', body: 'changed' } }, 'system', false)).not.toHaveProperty(
			'identityChange',
		);
	});

	it('the sender’s parent user id from the message when contacts do not carry it; echoes’ to_parent_user_id', () => {
		const m = one({ ...MESSAGES.requestWelcome, from_user_id: 'US.1', from_parent_user_id: 'US.ENT.1' });
		expect(m.from).toMatchObject({ waId: '16505551234', userId: 'US.1', parentUserId: 'US.ENT.1' });
		const [echo] = parseDelivery(
			delivery(change('smb_message_echoes', { message_echoes: [{ ...ECHO_CHANGE.value.message_echoes[0], to_user_id: 'US.2', to_parent_user_id: 'US.ENT.2' }] })),
		);
		expect(echo).toMatchObject({ kind: 'message_echo', toUserId: 'US.2', toParentUserId: 'US.ENT.2' });
	});

	it('user_preferences: signup_id, and a person known only by business-scoped user id', () => {
		const [pref] = USER_PREFERENCES_CHANGE.value.user_preferences;
		const { wa_id: _waId, ...byUserId } = pref;
		const updates = parseDelivery(
			delivery(
				change('user_preferences', {
					user_preferences: [
						{ ...pref, signup_id: 'SIGNUP-42' },
						{ ...byUserId, user_id: 'US.13491208655302741918' },
					],
				}),
			),
		) as UserPreferencesUpdate[];
		expect(updates).toHaveLength(2);
		expect(updates[0]).toMatchObject({ waId: '15557654321', signupId: 'SIGNUP-42', value: 'stop' });
		expect(updates[1]).toMatchObject({ waId: '', userId: 'US.13491208655302741918', value: 'stop' });
		expect(dedupeKey(updates[0])).not.toBe(dedupeKey(updates[1]));
	});
});

describe('standby: Meta’s Business Agent holds the conversation', () => {
	const standby = () => {
		const updates = parseDelivery(delivery(STANDBY_CHANGE));
		expect(updates).toHaveLength(1);
		const [update] = updates;
		expect(isStandby(update)).toBe(true);
		expect(isInboundMessage(update)).toBe(false);
		return update as StandbyUpdate;
	};

	it('is its own update kind with the messages inside, typed and flagged standby', () => {
		const s = standby();
		expect(s).toMatchObject({
			kind: 'standby',
			field: 'standby',
			businessAccountId: WABA_ID,
			phoneNumberId: METADATA.phone_number_id,
			displayPhoneNumber: METADATA.display_phone_number,
			contactKey: '16505551234',
			echoes: [],
			statuses: [],
		});
		expect(s.messages).toEqual([
			expect.objectContaining({
				kind: 'message',
				standby: true,
				type: 'text',
				text: 'Is the agent a bot?',
				messageId: 'wamid.STANDBY1',
				from: { waId: '16505551234', name: 'Sheena Nelson' },
				contactKey: '16505551234',
			}),
		]);
	});

	it('carries the agent’s replies (echoes) and their receipts too', () => {
		const echo = { from: '15550783881', to: '16505551234', id: 'wamid.AGENTREPLY', timestamp: '1750092005', type: 'text', text: { body: 'I am an AI assistant.' } };
		const updates = parseDelivery(
			delivery({
				field: 'standby',
				value: {
					...STANDBY_CHANGE.value,
					contacts: [SHEENA],
					messages: [],
					message_echoes: [echo],
					statuses: [{ id: 'wamid.AGENTREPLY', status: 'delivered', timestamp: '1750092006', recipient_id: '16505551234' }],
				},
			}),
		) as StandbyUpdate[];
		expect(updates).toHaveLength(1);
		expect(updates[0].messages).toEqual([]);
		expect(updates[0].echoes).toEqual([expect.objectContaining({ kind: 'message_echo', messageId: 'wamid.AGENTREPLY', text: 'I am an AI assistant.' })]);
		expect(updates[0].statuses).toEqual([expect.objectContaining({ kind: 'status', messageId: 'wamid.AGENTREPLY', status: 'delivered' })]);
		expect(updates[0].contactKey).toBe('16505551234');
	});

	it('dedupe: stable across redeliveries, distinct from the same message on the messages field', () => {
		const key = dedupeKey(standby());
		expect(dedupeKey(parseDelivery(JSON.parse(JSON.stringify(delivery(STANDBY_CHANGE))))[0])).toBe(key);
		const asMessage = parseDelivery(delivery(change('messages', STANDBY_CHANGE.value)))[0];
		expect(dedupeKey(asMessage)).not.toBe(key);
		expect(key).not.toContain('agent');
	});
});
