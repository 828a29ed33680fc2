/**
 * The Limits settings as steps of a reply: the loop guard, the per-person caps, load shedding and the token
 * budgets, each answering "go on" or why not. The counting lives in the shared modules (store counters and
 * records, so every worker sees the same); this file decides what the reply does with their answers.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

import { accountBudgetSpent, anyBudget, reserve, type Admission, type Tokens } from '../../../shared/usage/budgets';
import { takeReplySlot, type CapCheck } from '../../../shared/usage/caps';
import { checkTurn, fingerprintOf, noteReplies, type LoopVerdict } from '../../../shared/conversation/loopGuard';
import { atCapacity, isActive, joinWaitlist, leaveWaitlist, markActive } from '../../../shared/conversation/capacity';
import { pauseFor } from '../../../shared/conversation/pause';
import { DAY_MS, HOUR_MS, SCOPES } from '../../../shared/store/scopes';
import type { ContentKeys } from '../../../shared/store/contentByReference';
import type { Sender } from '../../../shared/store/people';
import type { WhatsAutoStore } from '../../../shared/store/types';
import type { LimitOptions } from './options';

/** What the Flagged output says about the item: which guard stopped the bot, and why. */
export interface Flag {
	guard: 'loop_guard' | 'replies_per_hour' | 'replies_per_day' | 'contact_tokens_day' | 'account_tokens_day' | 'monthly_spend';
	/** The hour, day or month it holds for (caps and budgets). */
	period?: string;
	/** What the loop guard saw. */
	signs?: string[];
	strikes?: number;
}

export interface GuardScope {
	store: WhatsAutoStore;
	keys: ContentKeys;
	/** The person's canonical pseudonym. */
	subject: string;
	limits: LimitOptions;
}

/** The loop guard's verdict on a turn of these texts; when it trips, the AI is paused for the person. */
export async function loopCheck(scope: GuardScope, texts: readonly string[], messages: number): Promise<LoopVerdict | undefined> {
	const settings = scope.limits.loop;
	if (!settings) return undefined;
	const fingerprints = texts.map((text) => fingerprintOf(scope.keys.pseudonymise, text));
	while (fingerprints.length < messages) fingerprints.push('');
	const verdict = await checkTurn(scope.store, scope.subject, fingerprints, settings);
	if (verdict.stop) await pauseFor(scope.store, scope.subject, 'loop');
	return verdict;
}

/** Remembers what we sent (so it coming back is recognised), and, when the person was answered (not turned away), that their conversation is active. */
export async function noteSent(scope: GuardScope, texts: readonly string[], answered: boolean): Promise<void> {
	if (scope.limits.loop) await noteReplies(scope.store, scope.subject, texts.map((text) => fingerprintOf(scope.keys.pseudonymise, text)));
	if (!answered || !sheds(scope.limits)) return;
	await markActive(scope.store, scope.subject, scope.limits.capacity.activeWindowMs);
	await leaveWaitlist(scope.store, scope.subject);
}

export const capsOn = (limits: LimitOptions): boolean => limits.caps.repliesPerHour > 0 || limits.caps.repliesPerDay > 0;

/** A place under the person's reply caps for this turn (give it back when nothing was sent). */
export async function capCheck(scope: GuardScope): Promise<CapCheck | undefined> {
	return capsOn(scope.limits) ? await takeReplySlot(scope.store, scope.subject, scope.limits.caps) : undefined;
}

const sheds = (limits: LimitOptions): boolean => limits.capacity.maxActiveConversations > 0 || (limits.capacity.shedOnAccountBudget && limits.budgets.accountTokensPerDay > 0);

/**
 * Load shedding: whether this person is new while the bot is at capacity. Then they are put on the waitlist;
 * `tell` is true the first time (they get the capacity message once).
 */
export async function shed(scope: GuardScope, recipient: Sender, language: string | undefined, phoneNumberId: string): Promise<{ tell: boolean } | undefined> {
	const { limits, store } = scope;
	if (!sheds(limits) || (await isActive(store, scope.subject))) return undefined;
	const full = (await atCapacity(store, limits.capacity)) || (limits.capacity.shedOnAccountBudget && (await accountBudgetSpent(store, limits.budgets)));
	if (!full) return undefined;
	const tell = await joinWaitlist(store, scope.keys, { subject: scope.subject, recipient, language, phoneNumberId }, limits.capacity.waitlistTtlMs);
	return { tell };
}

/** How long a notice holds: its period at most (a day's notice outlives the day by a day, harmlessly: the next day's key differs). */
const NOTICE_MS: Record<Flag['guard'], number> = {
	loop_guard: DAY_MS,
	replies_per_hour: 2 * HOUR_MS,
	replies_per_day: 2 * DAY_MS,
	contact_tokens_day: 2 * DAY_MS,
	account_tokens_day: 2 * DAY_MS,
	monthly_spend: SCOPES.guardNotice.lifetimeMs,
};

/**
 * Whether a notice about `flag` is the first for its period: a flag on the output per person (for everyone, for the
 * account's budgets), or with `toPerson`, the message telling this person.
 */
export async function firstNotice(scope: GuardScope, flag: Flag, toPerson = false): Promise<boolean> {
	const accountWide = flag.guard === 'account_tokens_day' || flag.guard === 'monthly_spend';
	const whose = toPerson ? `person:${scope.subject}` : accountWide ? 'account' : scope.subject;
	const key = scope.keys.pseudonymise(`guard-notice:${whose}:${flag.guard}:${flag.period ?? ''}`);
	return await scope.store.claim(SCOPES.guardNotice.name, key, NOTICE_MS[flag.guard]);
}

/**
 * Tokens a call with these messages may use at most, roughly: two characters a token for text (most scripts
 * use more), 1,500 a picture or file, the whole completion limit. Reserved before the call, corrected after.
 */
export function estimateTokens(messages: readonly ChatCompletionMessageParam[], maxCompletion: number): Tokens {
	let chars = 0;
	let media = 0;
	for (const message of messages) {
		if (typeof message.content === 'string') chars += message.content.length;
		else if (Array.isArray(message.content)) {
			for (const part of message.content) {
				if (part.type === 'text') chars += part.text.length;
				else media += 1;
			}
		}
	}
	return { prompt: Math.ceil(chars / 2) + media * 1500, completion: maxCompletion, cached: 0 };
}

/** Reserves the budgets for a model call; undefined when no budget is set. */
export async function budgetCheck(scope: GuardScope, model: string, estimate: Tokens): Promise<Admission | undefined> {
	return anyBudget(scope.limits.budgets) ? await reserve(scope.store, scope.limits.budgets, scope.subject, model, estimate) : undefined;
}
