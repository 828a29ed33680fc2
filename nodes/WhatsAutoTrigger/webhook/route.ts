import type { UpdateKind, WebhookUpdate } from '../../shared/whatsapp';
import type { TriggerConfig } from './config';

export const OUTPUT = { messages: 0, statuses: 1, events: 2 } as const;

export type DropReason = 'other_phone_number' | 'type_filtered' | 'statuses_off' | 'event_not_selected' | 'stale';

export interface RoutedUpdate {
	update: WebhookUpdate;
	output: (typeof OUTPUT)[keyof typeof OUTPUT];
	stale: boolean;
	/** A status nobody asked for, routed only so its pricing is recorded once (Record Meta Pricing): no item. */
	pricingOnly?: boolean;
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
	standby: 'standby',
	error: 'errors',
	unknown_field: 'unknown_field',
};

function isForUs(update: WebhookUpdate, us: Recipient): boolean {
	if (update.phoneNumberId) return update.phoneNumberId === us.phoneNumberId;
	return !update.businessAccountId || update.businessAccountId === us.businessAccountId;
}

/** Unix seconds of the update, for the kinds that carry one (value-level errors and other fields do not). */
function sentAt(update: WebhookUpdate): number | undefined {
	return 'timestampUnix' in update && Number.isFinite(update.timestampUnix) ? update.timestampUnix : undefined;
}

/**
 * Decides, without I/O, which output each update goes to and why the others are dropped.
 *
 * The age window (`maxAgeMs`) applies to every update with a timestamp: an old, validly signed delivery
 * replayed later must change nothing. Old messages are dropped or, with `staleMessages: 'flag'`, passed on
 * flagged; old statuses and events are always dropped, since a flag would not stop them from acting (an
 * old `user_preferences` "resume" would undo a later "stop").
 */
export function route(updates: WebhookUpdate[], config: TriggerConfig, us: Recipient, nowMs: number): RouteResult {
	const routed: RoutedUpdate[] = [];
	const dropped: RouteResult['dropped'] = {};
	const drop = (reason: DropReason) => (dropped[reason] = (dropped[reason] ?? 0) + 1);
	const isStale = (update: WebhookUpdate): boolean => {
		const seconds = sentAt(update);
		return config.maxAgeMs > 0 && seconds !== undefined && nowMs - seconds * 1000 > config.maxAgeMs;
	};

	for (const update of updates) {
		if (!config.anyPhoneNumber && !isForUs(update, us)) {
			drop('other_phone_number');
			continue;
		}
		if (update.kind !== 'message') {
			const output = update.kind === 'status' ? OUTPUT.statuses : OUTPUT.events;
			const wanted = update.kind === 'status' ? config.emitStatuses : config.events.has(EVENT_OPTION[update.kind] ?? '');
			const priced = update.kind === 'status' && config.recordPricing && update.pricing !== undefined;
			if (!wanted && !priced) drop(update.kind === 'status' ? 'statuses_off' : 'event_not_selected');
			else if (isStale(update)) drop('stale');
			else routed.push({ update, output, stale: false, ...(wanted ? {} : { pricingOnly: true }) });
			continue;
		}
		if (config.messageTypes !== 'all' && !config.messageTypes.has(update.type)) {
			drop('type_filtered');
			continue;
		}
		const stale = isStale(update);
		if (stale && config.staleMessages === 'drop') {
			drop('stale');
			continue;
		}
		routed.push({ update, output: OUTPUT.messages, stale });
	}
	return { routed, dropped };
}
