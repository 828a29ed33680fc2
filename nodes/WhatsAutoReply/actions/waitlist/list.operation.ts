import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { waitlistPage, type WaitlistEntry } from '../../../shared/conversation/capacity';
import type { ContentKeys } from '../../../shared/store/contentByReference';
import type { StoreAccess } from '../../../shared/store/access';
import type { RecordCursor } from '../../../shared/store/types';
import { forOperations } from '../conversation/fields';
import { countParameter, onceNotice, personItem, WAITLIST_DEFAULTS, waitlistKeys, windowOpen } from './fields';

// The default comes from WAITLIST_DEFAULTS; the lint rule only sees literals (n8n's own default, 50, is a page, not a list).
/* eslint-disable n8n-nodes-base/node-param-default-missing */

export const description: INodeProperties[] = forOperations(
	['waitlist'],
	[
		onceNotice,
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: WAITLIST_DEFAULTS.maxLimit },
			default: WAITLIST_DEFAULTS.listLimit,
			description: 'Max number of results to return',
		},
	],
);

/** Up to `limit` people on the waitlist, longest waiting first (pages past entries that cannot be read). */
export async function readWaitlist(access: StoreAccess, keys: ContentKeys, limit: number): Promise<WaitlistEntry[]> {
	const entries: WaitlistEntry[] = [];
	let after: RecordCursor | undefined;
	while (entries.length < limit) {
		const page = await waitlistPage(access.store, keys, { limit: Math.min(WAITLIST_DEFAULTS.maxLimit, limit - entries.length), ...(after ? { after } : {}) });
		entries.push(...page.entries);
		if (!page.next) break;
		after = page.next;
	}
	return entries.slice(0, limit);
}

/**
 * Get Waitlist: one item per person waiting, longest waiting first; nothing when nobody waits (n8n's "Get many"
 * convention: the next node runs once per person). Pseudonymous: the contact reference, never the number.
 */
export async function execute(ctx: IExecuteFunctions, access: StoreAccess): Promise<INodeExecutionData[]> {
	const keys = waitlistKeys(ctx, access);
	const limit = countParameter(ctx, 'limit', WAITLIST_DEFAULTS.listLimit, WAITLIST_DEFAULTS.maxLimit);
	const now = Date.now();
	return (await readWaitlist(access, keys, limit)).map((entry) =>
		personItem(entry, {
			addedAt: entry.addedAt,
			lastMessageAt: entry.lastMessageAt,
			windowOpen: windowOpen(entry, now),
			language: entry.language ?? null,
		}),
	);
}
