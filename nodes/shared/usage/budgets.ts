/**
 * Token budgets (per person per day, for everyone per day) and the monthly spend cap, held in the store's counters
 * so that every worker charges the same ones. A turn reserves its estimated tokens (and their price) before the
 * model is called, each budget in one atomic step that adds only while the budget is not used up; the reservation
 * is corrected to what OpenAI reported once the answer is in, or given back when no answer came. So racing turns
 * can never all pass the same check: a budget is exceeded by at most the turn admitted last (and by what any turn
 * used beyond its estimate).
 */
import { DateTime } from 'luxon';

import { SCOPES, expiryOf, type StoreScope } from '../store/scopes';
import type { WhatsAutoStore } from '../store/types';
import { modelCostMicroUsd, priceFor, type PriceTable } from './aggregate';

export type BudgetName = 'contact_tokens_day' | 'account_tokens_day' | 'monthly_spend';

export interface BudgetSettings {
	/** Tokens per person per day; 0: no budget. */
	contactTokensPerDay: number;
	/** Tokens for everyone per day; 0: no budget. */
	accountTokensPerDay: number;
	/** USD per calendar month; 0: no cap. */
	monthlySpendUsd: number;
	/** Prices of the models the spend cap charges (USD per million tokens). */
	prices: PriceTable;
	/** Days and months are counted in this time zone (the workflow's). */
	timezone: string;
}

export interface Tokens {
	prompt: number;
	completion: number;
	cached: number;
}

/** The spend cap needs a price for the model it charges. */
export class UnpricedModelError extends Error {
	constructor(readonly model: string) {
		super(`The Monthly Spend Cap needs a price for the model "${model}": add it to the Budget Price Table.`);
	}
}

interface Charge {
	budget: BudgetName;
	scope: StoreScope;
	key: string;
	/** The day or month the counter is for. */
	period: string;
	contactKey: string;
	/** What the budget allows (tokens, or millionths of a dollar). */
	limit: number;
	/** What this turn has been charged so far. */
	amount: number;
	measure: (tokens: Tokens) => number;
}

export const anyBudget = (settings: BudgetSettings): boolean =>
	settings.contactTokensPerDay > 0 || settings.accountTokensPerDay > 0 || settings.monthlySpendUsd > 0;

const MICRO = 1_000_000;

/** Millionths of a dollar for these tokens, rounded up (a budget never undercounts). */
function spendOf(prices: PriceTable, model: string, tokens: Tokens): number {
	const price = priceFor(prices, model);
	if (!price) throw new UnpricedModelError(model);
	// rounded to a billionth first: prices like 0.15 are not exact in binary, and a float error must not round up to a whole micro-dollar
	return Math.ceil(Math.round(modelCostMicroUsd(price, tokens) * 1000) / 1000);
}

const allTokens = (tokens: Tokens): number => tokens.prompt + tokens.completion;

/** The counters a turn for `subject` with `model` is charged to, in the order they are checked. */
function chargesFor(settings: BudgetSettings, subject: string, model: string, now: Date): Charge[] {
	const local = DateTime.fromJSDate(now, { zone: settings.timezone });
	const day = local.toISODate() ?? now.toISOString().slice(0, 10);
	const month = local.toFormat('yyyy-LL');
	const charges: Charge[] = [];
	if (settings.contactTokensPerDay > 0 && subject) {
		charges.push({
			budget: 'contact_tokens_day',
			scope: SCOPES.tokensContactDay,
			key: `${subject}:${day}`,
			period: day,
			contactKey: subject,
			limit: settings.contactTokensPerDay,
			amount: 0,
			measure: allTokens,
		});
	}
	if (settings.accountTokensPerDay > 0) {
		charges.push({ budget: 'account_tokens_day', scope: SCOPES.tokensAccountDay, key: day, period: day, contactKey: '', limit: settings.accountTokensPerDay, amount: 0, measure: allTokens });
	}
	if (settings.monthlySpendUsd > 0) {
		charges.push({
			budget: 'monthly_spend',
			scope: SCOPES.spendMonth,
			key: month,
			period: month,
			contactKey: '',
			limit: Math.round(settings.monthlySpendUsd * MICRO),
			amount: 0,
			measure: (tokens) => spendOf(settings.prices, model, tokens),
		});
	}
	return charges;
}

async function add(store: WhatsAutoStore, charge: Charge, amount: number, now: Date, below?: number): Promise<boolean> {
	if (amount === 0 && below === undefined) return true;
	const { added } = await store.addToCounter({
		scope: charge.scope.name,
		key: charge.key,
		amount,
		...(below !== undefined ? { below } : {}),
		contactKey: charge.contactKey,
		expiresAt: expiryOf(charge.scope, now.getTime()),
	});
	if (added) charge.amount += amount;
	return added;
}

/** A turn's hold on the budgets: settle it with what OpenAI reported, or give it back (undefined) when no call was made. */
export interface Reservation {
	settle(tokens: Tokens | undefined): Promise<void>;
}

export type Admission = { admitted: true; reservation: Reservation } | { admitted: false; reached: BudgetName; period: string };

/**
 * Reserves `estimate` for a turn of `subject` answered by `model`: every budget or none. When one is used up, what
 * was reserved from the others is given back and the budget reached is named.
 */
export async function reserve(store: WhatsAutoStore, settings: BudgetSettings, subject: string, model: string, estimate: Tokens, now: Date = new Date()): Promise<Admission> {
	if (settings.monthlySpendUsd > 0 && !priceFor(settings.prices, model)) throw new UnpricedModelError(model);
	const charges = chargesFor(settings, subject, model, now);
	for (const [index, charge] of charges.entries()) {
		if (!(await add(store, charge, charge.measure(estimate), now, charge.limit))) {
			for (const taken of charges.slice(0, index)) await add(store, taken, -taken.amount, now);
			return { admitted: false, reached: charge.budget, period: charge.period };
		}
	}
	let settled = false;
	return {
		admitted: true,
		reservation: {
			async settle(tokens) {
				if (settled) return;
				settled = true;
				for (const charge of charges) await add(store, charge, (tokens ? charge.measure(tokens) : 0) - charge.amount, now);
			},
		},
	};
}

/**
 * Counts what a turn used without holding it to the budgets (the cheaper model answering once a budget is reached):
 * the counters and the spend stay true, so the report and the next day's budget see it.
 */
export async function charge(store: WhatsAutoStore, settings: BudgetSettings, subject: string, model: string, tokens: Tokens, now: Date = new Date()): Promise<void> {
	for (const item of chargesFor(settings, subject, model, now)) {
		// An unpriced cheaper model cannot be charged to the spend: its tokens still count.
		if (item.budget === 'monthly_spend' && !priceFor(settings.prices, model)) continue;
		await add(store, item, item.measure(tokens), now);
	}
}

/** Whether the account's daily token budget is used up (load shedding turns new people away then). */
export async function accountBudgetSpent(store: WhatsAutoStore, settings: BudgetSettings, now: Date = new Date()): Promise<boolean> {
	const account = chargesFor(settings, '', '', now).find((item) => item.budget === 'account_tokens_day');
	return account !== undefined && (await store.getCounter(account.scope.name, account.key)) >= account.limit;
}

/** What a budget has used and allows now (tokens, or USD for the spend cap): for status output and tests. */
export async function budgetState(store: WhatsAutoStore, settings: BudgetSettings, subject: string, now: Date = new Date()): Promise<Array<{ budget: BudgetName; used: number; limit: number }>> {
	const states = [];
	for (const item of chargesFor(settings, subject, '', now)) {
		const used = await store.getCounter(item.scope.name, item.key);
		const money = item.budget === 'monthly_spend';
		states.push({ budget: item.budget, used: money ? used / MICRO : used, limit: money ? item.limit / MICRO : item.limit });
	}
	return states;
}
