import { NodeApiError, NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import { booleanOr, numberOr, stringOr, trimmedOr } from '../../../shared/coerce';
import { activeConversations, leaveWaitlist, markActive, onWaitlist, waitlistPage, type WaitlistEntry } from '../../../shared/conversation/capacity';
import { conversationText } from '../../../shared/conversation/messages';
import { messageRef } from '../../../shared/contact';
import { ReplyLedger } from '../../../shared/replyLedger';
import { cachedCredentials } from '../../../shared/credentialCache';
import { resolveLanguage } from '../../../shared/privacy/messages';
import type { StoreAccess } from '../../../shared/store/access';
import type { ContentKeys } from '../../../shared/store/contentByReference';
import { aiSuppressed, reachable, suppressionKeysOf } from '../../../shared/store/people';
import { SCOPES } from '../../../shared/store/scopes';
import type { RecordCursor } from '../../../shared/store/types';
import { GraphApiError, type HttpRequester } from '../../../shared/transport/graphApi';
import { sendTemplate, type TemplateMessage } from '../../../shared/transport/messages';
import { META_CREDENTIAL, toMetaCredentials, type MetaCredentials } from '../../../shared/transport/metaCredentials';
import { forOperations } from '../conversation/fields';
import { deliverText } from '../reply/deliver';
import { parameterLines } from '../reply/options';
import { recipientFor } from '../reply/services';
import { countParameter, onceNotice, personItem, WAITLIST_DEFAULTS, waitlistKeys, windowOpen } from './fields';

// Defaults come from WAITLIST_DEFAULTS (the Auto-Reply's own Limits defaults); the lint rule only sees literals.
/* eslint-disable n8n-nodes-base/node-param-default-missing */

export const description: INodeProperties[] = forOperations(
	['notifyWaitlist'],
	[
		onceNotice,
		{
			displayName: 'Max People per Run',
			name: 'notifyLimit',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: WAITLIST_DEFAULTS.maxLimit },
			default: WAITLIST_DEFAULTS.notifyLimit,
			description: 'At most this many people, longest waiting first, are sent a message in one run (people skipped do not count)',
		},
		{
			displayName: 'Only When There Is Room',
			name: 'onlyWhenRoom',
			type: 'boolean',
			default: true,
			description:
				'Whether to notify only as many people as there are free places: Max Active Conversations minus the conversations active now. Off: notify up to Max People per Run whatever the load.',
		},
		{
			displayName: 'Max Active Conversations',
			name: 'maxActiveConversations',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: WAITLIST_DEFAULTS.maxActiveConversations,
			description: 'The same as the Auto-Reply’s Max Active Conversations setting. 0: no limit.',
			displayOptions: { show: { onlyWhenRoom: [true] } },
		},
		{
			displayName: 'Active Window (Minutes)',
			name: 'activeWindowMinutes',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: WAITLIST_DEFAULTS.activeWindowMinutes,
			description:
				'The same as the Auto-Reply’s Active Window: each person notified counts as an active conversation for this long, so their place is kept when they write back and the next run does not give it away again. 0: keep no place.',
		},
		{
			displayName: 'Message',
			name: 'message',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			placeholder: 'Empty: a short “we’re back” in each person’s language',
			description: 'Sent to people whose last message is less than 24 hours old; {business} becomes the Business Name',
		},
		{
			displayName: 'Business Name',
			name: 'businessName',
			type: 'string',
			default: '',
			placeholder: 'e.g. Lucky Shrub Garden Centre',
			description: 'Put in place of {business} in the message (the built-in one, or yours)',
		},
		{
			displayName: 'Template Name',
			name: 'templateName',
			type: 'string',
			default: '',
			placeholder: 'e.g. back_in_service',
			description:
				'Approved template for people whose 24-hour window has closed (only a template may reach them). Empty: they stay on the waitlist, reported as skipped (window_closed).',
		},
		{
			displayName: 'Template Language',
			name: 'templateLanguage',
			type: 'string',
			default: 'en_US',
		},
		{
			displayName: 'Template Parameters',
			name: 'templateParameters',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			description: 'One body parameter per line: {{1}}, {{2}}, …',
		},
	],
);

interface NotifySettings {
	limit: number;
	onlyWhenRoom: boolean;
	maxActive: number;
	holdMs: number;
	message: string;
	business: string;
	template: TemplateMessage;
}

function settingsOf(ctx: IExecuteFunctions): NotifySettings {
	const param = (name: string, fallback: unknown): unknown => ctx.getNodeParameter(name, 0, fallback);
	return {
		limit: countParameter(ctx, 'notifyLimit', WAITLIST_DEFAULTS.notifyLimit, WAITLIST_DEFAULTS.maxLimit),
		onlyWhenRoom: booleanOr(param('onlyWhenRoom', true), true),
		maxActive: Math.max(0, Math.floor(numberOr(param('maxActiveConversations', WAITLIST_DEFAULTS.maxActiveConversations), WAITLIST_DEFAULTS.maxActiveConversations))),
		holdMs: Math.max(0, numberOr(param('activeWindowMinutes', WAITLIST_DEFAULTS.activeWindowMinutes), WAITLIST_DEFAULTS.activeWindowMinutes)) * 60_000,
		message: stringOr(param('message', '')).trim(),
		business: stringOr(param('businessName', '')).trim(),
		template: {
			name: stringOr(param('templateName', '')).trim(),
			language: trimmedOr(param('templateLanguage', 'en_US'), 'en_US'),
			bodyParameters: parameterLines(stringOr(param('templateParameters', ''))),
		},
	};
}

/** How many people may be told there is room: free places now (or no bound), never more than the run's limit. */
async function placesFor(access: StoreAccess, settings: NotifySettings): Promise<number> {
	if (!settings.onlyWhenRoom || settings.maxActive === 0) return settings.limit;
	return Math.min(settings.limit, Math.max(0, settings.maxActive - (await activeConversations(access.store))));
}

interface Sending {
	access: StoreAccess;
	keys: ContentKeys;
	http: HttpRequester;
	meta: MetaCredentials;
	settings: NotifySettings;
}

type Outcome =
	/** Nothing to report: another run has the person, or told them already. */
	| { kind: 'gone' }
	/** Not sent to, nothing counted. */
	| { kind: 'skipped'; item: INodeExecutionData }
	/** A message went out: one place used. */
	| { kind: 'sent'; item: INodeExecutionData };

/**
 * One person: inside the window the text, outside it the template (or left waiting without one), then off the
 * waitlist. A send failure throws, and the person stays on the waitlist for the next run.
 */
async function notifyOne(s: Sending, entry: WaitlistEntry, now: number): Promise<Outcome> {
	const { store } = s.access;
	const open = windowOpen(entry, now);
	const shown = (json: IDataObject) => personItem(entry, { language: entry.language ?? null, windowOpen: open, ...json });
	// A claim keyed by a keyed hash of the person: two runs at once (a manual run during a scheduled one)
	// never message the same person twice. Nothing readable in the claims table, which erasure does not reach.
	const lease = s.keys.pseudonymise(`waitlist-notify:${entry.subject}`);
	if (!(await store.claim(SCOPES.waitlistNotice.name, lease, SCOPES.waitlistNotice.lifetimeMs))) {
		return { kind: 'skipped', item: shown({ status: 'skipped', reason: 'in_progress', graphMessageIds: [], onWaitlist: true }) };
	}
	try {
		// Told by another run meanwhile, erased, or expired: nothing to do.
		if (!(await onWaitlist(store, entry.subject))) return { kind: 'gone' };
		// STOP holds under whichever id the person wrote with: they get nothing, and need not wait any longer.
		if (await aiSuppressed(store, await suppressionKeysOf(store, entry.subject))) {
			await leaveWaitlist(store, entry.subject);
			return { kind: 'skipped', item: shown({ status: 'skipped', reason: 'objected', graphMessageIds: [], onWaitlist: false }) };
		}
		const recipient = recipientFor(entry.recipient);
		if (!reachable(recipient)) {
			await leaveWaitlist(store, entry.subject);
			return { kind: 'skipped', item: shown({ status: 'skipped', reason: 'contact_unknown', graphMessageIds: [], onWaitlist: false }) };
		}
		// The window is per business number: write from the one they wrote to.
		const creds = entry.phoneNumberId ? { ...s.meta, phoneNumberId: entry.phoneNumberId } : s.meta;
		let status: 'notified' | 'template' = 'notified';
		let wamids: string[] = [];
		if (open) {
			const text = s.settings.message
				? s.settings.message.replace(/\{business\}/g, () => s.settings.business)
				: conversationText('back', resolveLanguage(entry.language), { business: s.settings.business });
			const delivery = await deliverText(s.http, creds, recipient, text, undefined);
			wamids = delivery.graphMessageIds;
			if (delivery.windowClosed) status = 'template';
		} else {
			status = 'template';
		}
		if (status === 'template') {
			if (!s.settings.template.name) {
				return { kind: 'skipped', item: shown({ status: 'skipped', reason: 'window_closed', windowOpen: false, graphMessageIds: [], onWaitlist: true }) };
			}
			wamids = [await sendTemplate(s.http, creds, recipient, s.settings.template)];
		}
		// Filed like a reply (its sent-message links): Meta's pricing of it reaches the usage ledger, a late 131047 the template fallback.
		const ledger = new ReplyLedger(store, entry.subject, s.keys.pseudonymise);
		await ledger.finish(ledger.key(creds.phoneNumberId, `waitlist:${entry.addedAt}`), {
			status: status === 'template' ? 'template' : 'replied',
			graphMessageIds: wamids,
			reason: 'waitlist_notified',
			at: new Date(now).toISOString(),
		});
		await leaveWaitlist(store, entry.subject);
		if (s.settings.holdMs > 0) await markActive(store, entry.subject, s.settings.holdMs);
		// Meta's message ids encode the number: the output shows keyed references (m:…), as the Reply does for pseudonymous items.
		const graphMessageIds = wamids.map((id) => messageRef(s.keys.pseudonymise, id));
		return { kind: 'sent', item: shown({ status, ...(status === 'template' ? { reason: 'window_closed', windowOpen: false } : {}), graphMessageIds, onWaitlist: false }) };
	} finally {
		await store.releaseClaim(SCOPES.waitlistNotice.name, lease).catch(() => undefined);
	}
}

/** The error of one person's send, as the node reports it (a Graph API error as the Reply reports it). */
function failure(ctx: IExecuteFunctions, error: unknown): Error {
	if (error instanceof GraphApiError) {
		return new NodeApiError(
			ctx.getNode(),
			{ message: error.message, ...(error.code !== undefined ? { code: error.code } : {}), httpCode: String(error.httpStatus) },
			{ itemIndex: 0, message: error.message },
		);
	}
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	return new NodeOperationError(ctx.getNode(), error as Error, { itemIndex: 0, message: (error as Error).message });
}

/**
 * Notify Waitlist: tells the people waiting longest that the bot is back, as many as there is room for (Only When
 * There Is Room) and at most Max People per Run. One item per person looked at: `notified` (text, inside the
 * 24-hour window), `template` (outside it), or `skipped` (reason); a failed send leaves the person waiting and
 * fails the node, or with Continue On Fail gives the person's item `status: failed` and the `error`.
 */
export async function execute(ctx: IExecuteFunctions, access: StoreAccess): Promise<INodeExecutionData[]> {
	const keys = waitlistKeys(ctx, access);
	const settings = settingsOf(ctx);
	const places = await placesFor(access, settings);
	if (places === 0) {
		ctx.logger.info('WhatsAuto Auto-Reply: no room for people on the waitlist (active conversations at Max Active Conversations)');
		return [];
	}
	const meta = toMetaCredentials(await cachedCredentials(ctx, META_CREDENTIAL));
	const sending: Sending = { access, keys, http: async (options) => await ctx.helpers.httpRequest(options), meta, settings };
	const items: INodeExecutionData[] = [];
	let sent = 0;
	let attempts = 0;
	let after: RecordCursor | undefined;
	const now = Date.now();
	walk: for (;;) {
		const page = await waitlistPage(access.store, keys, { limit: 100, ...(after ? { after } : {}) });
		for (const entry of page.entries) {
			if (sent >= places || attempts >= settings.limit) break walk;
			try {
				const outcome = await notifyOne(sending, entry, now);
				if (outcome.kind === 'gone') continue;
				items.push(outcome.item);
				if (outcome.kind === 'sent') {
					sent++;
					attempts++;
				}
			} catch (error) {
				attempts++;
				const reported = failure(ctx, error);
				if (!ctx.continueOnFail()) throw reported;
				items.push(personItem(entry, { language: entry.language ?? null, windowOpen: windowOpen(entry, now), status: 'failed', graphMessageIds: [], onWaitlist: true, error: reported.message }));
			}
		}
		if (!page.next) break;
		after = page.next;
	}
	return items;
}
