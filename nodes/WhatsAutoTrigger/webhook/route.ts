import type { UpdateKind, WebhookUpdate } from '../../shared/whatsapp';
import type { TriggerConfig } from './config';

export const OUTPUT = { messages: 0, statuses: 1, events: 2 } as const;

export type DropReason = 'other_phone_number' | 'type_filtered' | 'statuses_off' | 'event_not_selected' | 'stale';

export interface RoutedUpdate {
	update: WebhookUpdate;
	output: (typeof OUTPUT)[keyof typeof OUTPUT];
	stale: boolean;
}

export interface RouteResult {
	routed: RoutedUpdate[];
	dropped: Partial<Record<DropReason, number>>;
}

export interface Recipient {
	phoneNumberId: string;
	businessAccountId: string;
}

const EVENT_OPTION: Partial<Record<UpdateKind, string>> = {
	user_preferences: 'user_preferences',
	message_echo: 'smb_message_echoes',
	error: 'errors',
	unknown_field: 'unknown_field',
};

function isForUs(update: WebhookUpdate, us: Recipient): boolean {
	if (update.phoneNumberId) return update.phoneNumberId === us.phoneNumberId;
	return !update.businessAccountId || update.businessAccountId === us.businessAccountId;
}

/** Decides, without I/O, which output each update goes to and why the others are dropped. */
export function route(updates: WebhookUpdate[], config: TriggerConfig, us: Recipient, nowMs: number): RouteResult {
	const routed: RoutedUpdate[] = [];
	const dropped: RouteResult['dropped'] = {};
	const drop = (reason: DropReason) => (dropped[reason] = (dropped[reason] ?? 0) + 1);

	for (const update of updates) {
		if (!config.anyPhoneNumber && !isForUs(update, us)) {
			drop('other_phone_number');
			continue;
		}
		if (update.kind === 'status') {
			if (config.emitStatuses) routed.push({ update, output: OUTPUT.statuses, stale: false });
			else drop('statuses_off');
			continue;
		}
		if (update.kind !== 'message') {
			if (config.events.has(EVENT_OPTION[update.kind] ?? '')) routed.push({ update, output: OUTPUT.events, stale: false });
			else drop('event_not_selected');
			continue;
		}
		if (config.messageTypes !== 'all' && !config.messageTypes.has(update.type)) {
			drop('type_filtered');
			continue;
		}
		const stale = config.maxAgeMs > 0 && nowMs - update.timestampUnix * 1000 > config.maxAgeMs;
		if (stale && config.staleMessages === 'drop') {
			drop('stale');
			continue;
		}
		routed.push({ update, output: OUTPUT.messages, stale });
	}
	return { routed, dropped };
}
