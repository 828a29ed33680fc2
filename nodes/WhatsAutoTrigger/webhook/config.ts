import type { IDataObject } from 'n8n-workflow';

import { numberOr } from '../../shared/coerce';
import { DEFAULT_CONTENT_TTL_MINUTES } from '../../shared/store/scopes';
import { MEDIA_SIZE_LIMITS } from '../../shared/transport/media';
import { gateSettingsOf, type GateSettings } from '../gate/settings';

export interface TriggerConfig {
	messageTypes: ReadonlySet<string> | 'all';
	emitStatuses: boolean;
	events: ReadonlySet<string>;
	anyPhoneNumber: boolean;
	contentByReference: boolean;
	/** With content by reference: put the sender's number / user id back on the item (Show Contact Number). */
	showContactNumber: boolean;
	contentTtlMs: number;
	downloadMedia: boolean;
	includeRaw: boolean;
	/** 0: Meta's limit for each media type. */
	maxMediaBytes: number;
	/** 0: no age check. */
	maxAgeMs: number;
	staleMessages: 'drop' | 'flag';
	subscribeOnActivation: boolean;
	/** Record Meta Pricing: statuses of messages the Auto-Reply sent give the usage ledger their pricing (no execution). */
	recordPricing: boolean;
	/** The conversation gate (gate/): off, or how it hands turns on. */
	gate?: GateSettings;
}

const MINUTE = 60_000;

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
/** A number parameter: left empty or made negative, its default. */
const num = (value: unknown, fallback: number): number => numberOr(value, fallback, (n) => n >= 0);

/** The trigger's parameters as one typed value; missing ones take the defaults shown in the editor. */
export function toTriggerConfig(parameters: IDataObject): TriggerConfig {
	const options = (parameters.options ?? {}) as IDataObject;
	const types = list(parameters.messageTypes ?? ['all']);
	return {
		messageTypes: types.length === 0 || types.includes('all') ? 'all' : new Set(types),
		emitStatuses: parameters.emitStatuses === true,
		events: new Set(list(parameters.events)),
		anyPhoneNumber: options.anyPhoneNumber === true,
		contentByReference: options.contentByReference === true,
		showContactNumber: options.showContactNumber === true,
		contentTtlMs: (num(options.contentTtlMinutes, DEFAULT_CONTENT_TTL_MINUTES) || DEFAULT_CONTENT_TTL_MINUTES) * MINUTE,
		downloadMedia: options.downloadMedia === true,
		includeRaw: options.includeRaw === true,
		maxMediaBytes: Math.round(num(options.maxMediaMb, 0) * 1024 * 1024),
		maxAgeMs: num(options.maxAgeMinutes, 60) * MINUTE,
		staleMessages: options.staleMessages === 'flag' ? 'flag' : 'drop',
		subscribeOnActivation: options.subscribeOnActivation !== false,
		recordPricing: options.recordPricing === true,
		gate: options.conversationGate === true ? gateSettingsOf(options) : undefined,
	};
}

export function mediaLimit(config: TriggerConfig, type: string): number {
	const meta = MEDIA_SIZE_LIMITS[type] ?? MEDIA_SIZE_LIMITS.document;
	return config.maxMediaBytes > 0 ? Math.min(config.maxMediaBytes, MEDIA_SIZE_LIMITS.document) : meta;
}
