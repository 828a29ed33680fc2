import { toTriggerConfig, mediaLimit } from '../../nodes/WhatsAutoTrigger/webhook/config';
import { OUTPUT, route } from '../../nodes/WhatsAutoTrigger/webhook/route';
import { parseDelivery } from '../../nodes/shared/whatsapp';

const US = { phoneNumberId: '106540352242922', businessAccountId: '102290129340398' };
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const secondsAgo = (s: number) => String(Math.floor(NOW / 1000) - s);

function change(field: string, value: Record<string, unknown>, phoneNumberId = US.phoneNumberId) {
	return {
		field,
		value: {
			messaging_product: 'whatsapp',
			metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
			...value,
		},
	};
}

const text = (id: string, age = 5) => ({ from: '16505551234', id, timestamp: secondsAgo(age), type: 'text', text: { body: 'hi' } });

function delivery(...changes: object[]) {
	return parseDelivery({ object: 'whatsapp_business_account', entry: [{ id: US.businessAccountId, changes }] });
}

describe('route', () => {
	const defaults = toTriggerConfig({});

	it('sends messages to the Messages output and drops statuses and events by default', () => {
		const updates = delivery(
			change('messages', {
				contacts: [{ profile: { name: 'A' }, wa_id: '16505551234' }],
				messages: [text('wamid.1'), text('wamid.2')],
			}),
			change('messages', { statuses: [{ id: 'wamid.out', status: 'read', timestamp: secondsAgo(1), recipient_id: '1' }] }),
			change('user_preferences', {
				user_preferences: [{ wa_id: '1', category: 'marketing_messages', value: 'stop', timestamp: 1731700000 }],
			}),
		);
		const result = route(updates, defaults, US, NOW);
		expect(result.routed.map((r) => [r.output, (r.update as { messageId?: string }).messageId])).toEqual([
			[OUTPUT.messages, 'wamid.1'],
			[OUTPUT.messages, 'wamid.2'],
		]);
		expect(result.dropped).toEqual({ statuses_off: 1, event_not_selected: 1 });
	});

	it('routes statuses and selected events to their own outputs when enabled', () => {
		const config = toTriggerConfig({ emitStatuses: true, events: ['user_preferences', 'smb_message_echoes'] });
		const updates = delivery(
			change('messages', { statuses: [{ id: 'wamid.out', status: 'delivered', timestamp: secondsAgo(1), recipient_id: '1' }] }),
			change('user_preferences', {
				user_preferences: [{ wa_id: '1', category: 'marketing_messages', value: 'resume', timestamp: Number(secondsAgo(3)) }],
			}),
			change('smb_message_echoes', {
				message_echoes: [{ from: '15550783881', to: '1', id: 'wamid.ECHO', timestamp: secondsAgo(2), type: 'text', text: { body: 'x' } }],
			}),
			change('account_update', { event: 'VERIFIED_ACCOUNT' }),
		);
		const result = route(updates, config, US, NOW);
		expect(result.routed.map((r) => [r.output, r.update.kind])).toEqual([
			[OUTPUT.statuses, 'status'],
			[OUTPUT.events, 'user_preferences'],
			[OUTPUT.events, 'message_echo'],
		]);
		expect(result.dropped).toEqual({ event_not_selected: 1 });
	});

	it('passes standby (Meta’s Business Agent holds the thread) only to the Events output, and only when selected', () => {
		const standby = change('standby', {
			contacts: [{ profile: { name: 'A' }, wa_id: '16505551234' }],
			messages: [text('wamid.standby')],
		});
		const updates = delivery(standby);
		expect(route(updates, defaults, US, NOW)).toEqual({ routed: [], dropped: { event_not_selected: 1 } });
		const selected = route(updates, toTriggerConfig({ events: ['standby'], messageTypes: ['text'] }), US, NOW);
		expect(selected.routed.map((r) => [r.output, r.update.kind])).toEqual([[OUTPUT.events, 'standby']]);
		expect(selected.dropped).toEqual({});
	});

	it('drops (and counts) messages for another phone number unless any number is accepted', () => {
		const updates = delivery(change('messages', { messages: [text('wamid.other')] }, '999'));
		expect(route(updates, defaults, US, NOW)).toEqual({ routed: [], dropped: { other_phone_number: 1 } });
		const anyNumber = toTriggerConfig({ options: { anyPhoneNumber: true } });
		expect(route(updates, anyNumber, US, NOW).routed).toHaveLength(1);
	});

	it('filters by message type', () => {
		const config = toTriggerConfig({ messageTypes: ['image'] });
		const updates = delivery(change('messages', { messages: [text('wamid.t')] }));
		expect(route(updates, config, US, NOW)).toEqual({ routed: [], dropped: { type_filtered: 1 } });
	});

	it('drops messages older than the window by default and flags them when asked', () => {
		const updates = delivery(change('messages', { messages: [text('wamid.old', 61 * 60), text('wamid.new', 59 * 60)] }));
		const dropped = route(updates, defaults, US, NOW);
		expect(dropped.routed.map((r) => [(r.update as { messageId: string }).messageId, r.stale])).toEqual([['wamid.new', false]]);
		expect(dropped.dropped).toEqual({ stale: 1 });

		const flag = route(updates, toTriggerConfig({ options: { staleMessages: 'flag' } }), US, NOW);
		expect(flag.routed.map((r) => r.stale)).toEqual([true, false]);

		const off = route(updates, toTriggerConfig({ options: { maxAgeMinutes: 0 } }), US, NOW);
		expect(off.routed.map((r) => r.stale)).toEqual([false, false]);
	});
});

describe('toTriggerConfig', () => {
	it('takes the editor defaults for missing parameters', () => {
		const config = toTriggerConfig({});
		expect(config).toMatchObject({
			messageTypes: 'all',
			emitStatuses: false,
			anyPhoneNumber: false,
			contentByReference: false,
			contentTtlMs: 60 * 60_000,
			downloadMedia: false,
			maxAgeMs: 60 * 60_000,
			staleMessages: 'drop',
			subscribeOnActivation: true,
		});
		expect([...config.events]).toEqual([]);
	});

	it('caps media downloads at Meta’s per-type limits unless a smaller cap is set', () => {
		expect(mediaLimit(toTriggerConfig({}), 'image')).toBe(5 * 1024 * 1024);
		expect(mediaLimit(toTriggerConfig({}), 'sticker')).toBe(500 * 1024);
		expect(mediaLimit(toTriggerConfig({ options: { maxMediaMb: 1 } }), 'document')).toBe(1024 * 1024);
	});
});
