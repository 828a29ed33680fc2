import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import type { WaitlistEntry } from '../../../shared/conversation/capacity';
import { contactRef } from '../../../shared/contact';
import type { ContentKeys } from '../../../shared/store/contentByReference';
import type { StoreAccess } from '../../../shared/store/access';
import { LIMIT_DEFAULTS } from '../reply/options';

/** Meta's customer-service window: within it a normal message reaches the person, after it only a template. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

export const WAITLIST_DEFAULTS = {
	/** Get Waitlist: people listed. */
	listLimit: 100,
	/** Notify Waitlist: people sent a message per run. */
	notifyLimit: 50,
	maxLimit: 1000,
	maxActiveConversations: LIMIT_DEFAULTS.maxActiveConversations,
	activeWindowMinutes: LIMIT_DEFAULTS.activeWindowMinutes,
} as const;

/** Both operations read the whole waitlist once per execution, not once per input item (a Schedule Trigger gives one). */
export const onceNotice: INodeProperties = {
	displayName: 'Runs once per execution, whatever the number of input items, and needs the WhatsAuto: Store API credential of the Auto-Reply that fills the waitlist',
	name: 'waitlistNotice',
	type: 'notice',
	default: '',
};

/** The store credential's keys: the waitlist keeps each person's number encrypted, under their pseudonym. */
export function waitlistKeys(ctx: IExecuteFunctions, access: StoreAccess): ContentKeys {
	if (!access.keys) {
		throw new NodeOperationError(ctx.getNode(), 'The waitlist needs a WhatsAuto: Store API credential with a Secret Key (the same as the Auto-Reply’s).', { itemIndex: 0 });
	}
	return access.keys;
}

/** A whole number field within 1 … max (the editor's bounds are not enforced on expressions). */
export function countParameter(ctx: IExecuteFunctions, name: string, fallback: number, max: number): number {
	const value = Number(ctx.getNodeParameter(name, 0, fallback));
	if (!Number.isFinite(value)) return fallback;
	return Math.min(max, Math.max(1, Math.floor(value)));
}

/** Whether the person's last message is recent enough for a normal message (else a template). */
export const windowOpen = (entry: Pick<WaitlistEntry, 'lastMessageAt'>, now: number = Date.now()): boolean => {
	const last = Date.parse(entry.lastMessageAt);
	return Number.isFinite(last) && now - last < WINDOW_MS;
};

/** An output item of a waitlist operation: one per person, never their number (the contact reference instead). */
export function personItem(entry: WaitlistEntry, json: IDataObject): INodeExecutionData {
	return { json: { contactKey: contactRef(entry.subject), ...json }, pairedItem: { item: 0 } };
}
