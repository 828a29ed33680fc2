/**
 * Per-person caps: how many replies the bot sends one person per clock hour and per day (in the workflow's time
 * zone). A turn takes its place under both caps before anything is sent, atomically in the store's counters (so
 * workers share them), and gives it back when nothing reached the person. Fixed windows: a person may get up to
 * twice a cap across the turn of an hour or a day.
 */
import { DateTime } from 'luxon';

import { SCOPES, expiryOf, type StoreScope } from '../store/scopes';
import type { WhatsAutoStore } from '../store/types';

export interface CapSettings {
	/** Replies per person per clock hour (the time zone's clock: some zones are half an hour off UTC); 0: no cap. */
	repliesPerHour: number;
	/** Replies per person per day; 0: no cap. */
	repliesPerDay: number;
	timezone: string;
}

export type CapName = 'replies_per_hour' | 'replies_per_day';

export type CapCheck = { ok: true; giveBack: () => Promise<void> } | { ok: false; reached: CapName; period: string };

export async function takeReplySlot(store: WhatsAutoStore, subject: string, settings: CapSettings, now: Date = new Date()): Promise<CapCheck> {
	const local = DateTime.fromJSDate(now, { zone: settings.timezone });
	const caps: Array<{ name: CapName; scope: StoreScope; period: string; limit: number }> = [];
	if (settings.repliesPerHour > 0) caps.push({ name: 'replies_per_hour', scope: SCOPES.repliesContactHour, period: local.toFormat("yyyy-LL-dd'T'HH"), limit: settings.repliesPerHour });
	if (settings.repliesPerDay > 0) caps.push({ name: 'replies_per_day', scope: SCOPES.repliesContactDay, period: local.toISODate() ?? '', limit: settings.repliesPerDay });
	const taken: typeof caps = [];
	const add = async (cap: (typeof caps)[number], amount: number, below?: number) =>
		(
			await store.addToCounter({
				scope: cap.scope.name,
				key: `${subject}:${cap.period}`,
				amount,
				...(below !== undefined ? { below } : {}),
				contactKey: subject,
				expiresAt: expiryOf(cap.scope, now.getTime()),
			})
		).added;
	const giveBack = async () => {
		for (const cap of taken.splice(0)) await add(cap, -1);
	};
	for (const cap of caps) {
		if (!(await add(cap, 1, cap.limit))) {
			await giveBack();
			return { ok: false, reached: cap.name, period: cap.period };
		}
		taken.push(cap);
	}
	return { ok: true, giveBack };
}
