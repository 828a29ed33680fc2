import { signWebhook } from '../../devkit/fakes/meta-json';
import { toTriggerConfig } from '../../nodes/WhatsAutoTrigger/webhook/config';
import { OUTPUT, route } from '../../nodes/WhatsAutoTrigger/webhook/route';
import { verifySignature } from '../../nodes/WhatsAutoTrigger/webhook/signature';
import { DeliveryRejectedError, parseDelivery } from '../../nodes/shared/whatsapp';
import { MAX_JSON_DEPTH } from '../../nodes/shared/whatsapp/delivery';

const US = { phoneNumberId: '106540352242922', businessAccountId: '102290129340398' };
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const secondsAgo = (s: number) => Math.floor(NOW / 1000) - s;
const NINE_DAYS = 9 * 86_400;

const change = (field: string, value: Record<string, unknown>) => ({
	field,
	value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: US.phoneNumberId }, ...value },
});
const delivery = (...changes: object[]) => parseDelivery({ object: 'whatsapp_business_account', entry: [{ id: US.businessAccountId, changes }] });

const preference = (age: number) =>
	change('user_preferences', { user_preferences: [{ wa_id: '1', category: 'marketing_messages', value: 'resume', timestamp: secondsAgo(age) }] });
const statusOf = (age: number) => change('messages', { statuses: [{ id: 'wamid.out', status: 'read', timestamp: String(secondsAgo(age)), recipient_id: '1' }] });
const echoOf = (age: number) =>
	change('smb_message_echoes', {
		message_echoes: [{ from: '15550783881', to: '1', id: 'wamid.ECHO', timestamp: String(secondsAgo(age)), type: 'text', text: { body: 'x' } }],
	});
const messageOf = (age: number) =>
	change('messages', { messages: [{ from: '1', id: 'wamid.IN', timestamp: String(secondsAgo(age)), type: 'text', text: { body: 'x' } }] });

describe('route: the age window covers statuses and events, not only messages', () => {
	const base = { emitStatuses: true, events: ['user_preferences', 'smb_message_echoes', 'errors', 'unknown_field'] };

	it.each(['drop', 'flag'])('drops old statuses, user_preferences and echoes as stale (Old Messages = %s)', (staleMessages) => {
		const config = toTriggerConfig({ ...base, options: { staleMessages } });
		const result = route(delivery(statusOf(NINE_DAYS), preference(NINE_DAYS), echoOf(NINE_DAYS)), config, US, NOW);
		expect(result).toEqual({ routed: [], dropped: { stale: 3 } });
	});

	it('keeps the window’s edge: 59 minutes pass, 61 minutes are stale', () => {
		const config = toTriggerConfig(base);
		const fresh = route(delivery(statusOf(59 * 60), preference(59 * 60), echoOf(59 * 60)), config, US, NOW);
		expect(fresh.routed.map((r) => [r.output, r.update.kind, r.stale])).toEqual([
			[OUTPUT.statuses, 'status', false],
			[OUTPUT.events, 'user_preferences', false],
			[OUTPUT.events, 'message_echo', false],
		]);
		expect(route(delivery(statusOf(61 * 60), preference(61 * 60), echoOf(61 * 60)), config, US, NOW).dropped).toEqual({ stale: 3 });
	});

	it('still flags (not drops) old messages with Old Messages = Flag', () => {
		const config = toTriggerConfig({ ...base, options: { staleMessages: 'flag' } });
		const result = route(delivery(messageOf(NINE_DAYS), preference(NINE_DAYS)), config, US, NOW);
		expect(result.routed.map((r) => [r.update.kind, r.stale])).toEqual([['message', true]]);
		expect(result.dropped).toEqual({ stale: 1 });
	});

	it('passes everything old when the age check is off (Max Message Age 0)', () => {
		const config = toTriggerConfig({ ...base, options: { maxAgeMinutes: 0 } });
		expect(route(delivery(statusOf(NINE_DAYS), preference(NINE_DAYS), echoOf(NINE_DAYS)), config, US, NOW).routed).toHaveLength(3);
	});

	it('counts old statuses and events nobody asked for as routine drops, not stale ones', () => {
		const result = route(delivery(statusOf(NINE_DAYS), preference(NINE_DAYS)), toTriggerConfig({}), US, NOW);
		expect(result.dropped).toEqual({ statuses_off: 1, event_not_selected: 1 });
	});

	it('leaves value-level errors and other fields (no timestamp) to the event selection', () => {
		const updates = delivery(change('messages', { errors: [{ code: 131000, title: 'x' }] }), change('account_update', { event: 'X' }));
		expect(route(updates, toTriggerConfig(base), US, NOW).routed.map((r) => r.update.kind)).toEqual(['error', 'unknown_field']);
	});
});

describe('verifySignature: an empty App Secret is never an HMAC key', () => {
	const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

	it('refuses a body signed with the empty key', () => {
		expect(verifySignature(raw, signWebhook('', raw), '')).toEqual({ ok: false, reason: 'no app secret' });
	});

	it('refuses whatever the header when there is no secret', () => {
		expect(verifySignature(raw, undefined, '')).toEqual({ ok: false, reason: 'no app secret' });
		expect(verifySignature(raw, 'garbage', '')).toEqual({ ok: false, reason: 'no app secret' });
	});
});

describe('parseDelivery: nesting depth is bounded', () => {
	/** An envelope whose total depth (the envelope itself counting 1) is `depth`. */
	const envelopeOfDepth = (depth: number) => {
		let extra: unknown = 'leaf';
		for (let level = 2; level <= depth; level++) extra = level % 2 ? [extra] : { k: extra };
		return { object: 'whatsapp_business_account', entry: [], extra };
	};

	it(`accepts ${MAX_JSON_DEPTH} levels and rejects ${MAX_JSON_DEPTH + 1} with DeliveryRejectedError`, () => {
		expect(MAX_JSON_DEPTH).toBe(64);
		expect(parseDelivery(envelopeOfDepth(MAX_JSON_DEPTH))).toEqual([]);
		expect(() => parseDelivery(envelopeOfDepth(MAX_JSON_DEPTH + 1))).toThrow(DeliveryRejectedError);
		expect(() => parseDelivery(envelopeOfDepth(MAX_JSON_DEPTH + 1))).toThrow(/nested deeper than 64/);
	});

	it('rejects a million levels without overflowing the stack', () => {
		const body = JSON.parse(`{"object":"whatsapp_business_account","entry":[${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}]}`);
		expect(() => parseDelivery(body)).toThrow(DeliveryRejectedError);
	});

	it('does not keep a flow response parsed from a deeply nested response_json string', () => {
		const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
		const [update] = delivery(
			change('messages', {
				messages: [
					{
						from: '1',
						id: 'wamid.NFM',
						timestamp: String(secondsAgo(1)),
						type: 'interactive',
						interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: deep } },
					},
				],
			}),
		);
		const interactive = (update as { interactive: { nfmReply: { response?: unknown; responseJson: string } } }).interactive;
		expect(interactive.nfmReply.responseJson).toBe(deep);
		expect(interactive.nfmReply.response).toBeUndefined();
	});
});
