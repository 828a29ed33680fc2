/**
 * The usage report: what the ledger recorded for a period (one metadata record per processed turn, one pricing
 * row per message Meta priced), summed up. Pure: no store, no clock; the rows it is given are the period's
 * (readUsage picks them), `from` and `to` only label the report.
 *
 * Costs are estimates: the model's from the tokens OpenAI reported and a price table (USD per million tokens),
 * Meta's as message counts per pricing category (their price depends on the market and the contract).
 */
import type { readUsage, UsageEntry } from './ledger';

/** A pricing row as readUsage returns it (read off its signature, whatever the ledger names the type). */
export type PricingRow = Awaited<ReturnType<typeof readUsage>>['pricing'][number];
export type UsageOutcome = UsageEntry['outcome'];

/** Every outcome a turn can have: the report counts each, zero included, so a summary can name any of them. */
export const USAGE_OUTCOMES: readonly UsageOutcome[] = ['replied', 'merged', 'skipped', 'fallback', 'handoff', 'failed', 'template', 'away', 'output_only', 'waitlisted'];

/** The outcomes that sent the customer an answer: the model's, the fallback message or a template. */
export const REPLY_OUTCOMES: readonly UsageOutcome[] = ['replied', 'fallback', 'template'];

/** The stages a turn's latency is measured in (milliseconds), `total` being the whole turn. */
export const LATENCY_STAGES = ['ack', 'wait', 'understand', 'model', 'send', 'total'] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

/** How many skip reasons the report lists, most frequent first. */
export const TOP_SKIP_REASONS = 10;

/** What a model costs, in USD per million tokens. Cached prompt tokens are billed at `cachedInputPerMillion`. */
export interface ModelPrice {
	inputPerMillion: number;
	cachedInputPerMillion: number;
	outputPerMillion: number;
}

/** Prices per model name as the ledger records it (see {@link priceFor} for dated snapshot names). */
export type PriceTable = Record<string, ModelPrice>;

const PRICE_FIELDS = ['inputPerMillion', 'cachedInputPerMillion', 'outputPerMillion'] as const satisfies ReadonlyArray<keyof ModelPrice>;

/**
 * OpenAI's list prices (standard tier, USD per million tokens) as last known to this package: list prices to
 * check against https://openai.com/api/pricing and edit to your contract (Price Table in the report operation).
 * gpt-4-turbo has no cached-input discount, so its cached price is its input price.
 */
export const DEFAULT_PRICES: PriceTable = {
	'gpt-4o': { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 },
	'gpt-4o-mini': { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 },
	'gpt-4.1': { inputPerMillion: 2, cachedInputPerMillion: 0.5, outputPerMillion: 8 },
	'gpt-4.1-mini': { inputPerMillion: 0.4, cachedInputPerMillion: 0.1, outputPerMillion: 1.6 },
	'gpt-4-turbo': { inputPerMillion: 10, cachedInputPerMillion: 10, outputPerMillion: 30 },
};

/** The key a turn with tokens but no model name is counted under (never priced). */
export const UNKNOWN_MODEL = '(unknown model)';

/** The reason a skipped turn without one is counted under. */
export const UNSPECIFIED_REASON = '(unspecified)';

export interface LatencySummary {
	/** How many turns measured this stage. */
	samples: number;
	/** Nearest-rank percentiles in milliseconds; null without samples. */
	p50: number | null;
	p95: number | null;
}

export interface ModelUsage {
	/** Turns that reported tokens for this model. */
	turns: number;
	prompt: number;
	completion: number;
	/** Part of `prompt` served from OpenAI's prompt cache. */
	cached: number;
	/** USD, rounded to a millionth of a dollar; null when the price table has no price for the model. */
	costUsd: number | null;
}

export interface UsageReport {
	period: { from: string; to: string; days: number };
	/** Customer messages the turns answered (a merged burst counts each of its messages). */
	messages: number;
	turns: number;
	/** Turns that sent an answer: outcome replied, fallback or template. */
	replies: number;
	/** Turns that answered more than one message at once. */
	mergedBursts: number;
	/** The messages in those turns (all of them, the first of each burst included). */
	messagesMerged: number;
	/** Turns per outcome, every outcome present. */
	outcomes: Record<UsageOutcome, number>;
	/** Tokens OpenAI reported; `cached` is part of `prompt`, `total` is prompt + completion. */
	tokens: { prompt: number; completion: number; cached: number; total: number };
	/** Model cost: `totalUsd` sums the priced models only; `unpricedModels` lists the others (cost null). */
	modelCost: { totalUsd: number; byModel: Record<string, ModelUsage>; unpricedModels: string[] };
	/** Messages Meta priced (pricing rows of status webhooks), per pricing category. */
	metaMessages: { total: number; billable: number; byCategory: Record<string, { messages: number; billable: number }> };
	latency: Record<LatencyStage, LatencySummary>;
	/** Why turns were skipped, most frequent first (ties by reason), at most {@link TOP_SKIP_REASONS}. */
	topSkipReasons: Array<{ reason: string; count: number }>;
}

export interface UsageInput {
	turns: UsageEntry[];
	pricing: PricingRow[];
	prices: PriceTable;
	from: Date;
	to: Date;
}

const MS_PER_DAY = 86_400_000;

/** A finite count ≥ 0, else 0 (a ledger row from an older or damaged write must not turn totals into NaN). */
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);

const roundUsd = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/**
 * The price of `model`: its own entry, or else that of its name without a snapshot date (gpt-4o-2024-08-06 is
 * priced as gpt-4o). Undefined when neither is in the table.
 */
export function priceFor(prices: PriceTable, model: string): ModelPrice | undefined {
	const own = Object.prototype.hasOwnProperty.call(prices, model) ? prices[model] : undefined;
	if (own) return own;
	const undated = model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
	return undated !== model && Object.prototype.hasOwnProperty.call(prices, undated) ? prices[undated] : undefined;
}

/** USD for these tokens: cached prompt tokens at the cached price, the rest of the prompt at the input price. */
export function modelCostUsd(price: ModelPrice, tokens: { prompt: number; completion: number; cached: number }): number {
	return modelCostMicroUsd(price, tokens) / 1e6;
}

/** The same in millionths of a dollar (tokens × USD per million tokens), without dividing: budgets count these. */
export function modelCostMicroUsd(price: ModelPrice, tokens: { prompt: number; completion: number; cached: number }): number {
	const cached = Math.min(tokens.cached, tokens.prompt);
	const uncached = tokens.prompt - cached;
	return uncached * price.inputPerMillion + cached * price.cachedInputPerMillion + tokens.completion * price.outputPerMillion;
}

/** Nearest-rank percentile (`p` in 0–100) of ascending `sorted`; null when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
	if (sorted.length === 0) return null;
	const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
	return sorted[Math.min(rank, sorted.length) - 1];
}

export function aggregateUsage(input: UsageInput): UsageReport {
	const { turns, pricing, prices, from, to } = input;

	const outcomes = Object.fromEntries(USAGE_OUTCOMES.map((o) => [o, 0])) as Record<UsageOutcome, number>;
	const tokens = { prompt: 0, completion: 0, cached: 0, total: 0 };
	const byModelTokens = new Map<string, { turns: number; prompt: number; completion: number; cached: number }>();
	const samples = Object.fromEntries(LATENCY_STAGES.map((s) => [s, [] as number[]])) as Record<LatencyStage, number[]>;
	const skipReasons = new Map<string, number>();
	let messages = 0;
	let replies = 0;
	let mergedBursts = 0;
	let messagesMerged = 0;

	for (const turn of turns) {
		const n = count(turn.messages);
		messages += n;
		if (n > 1) {
			mergedBursts += 1;
			messagesMerged += n;
		}
		if (Object.prototype.hasOwnProperty.call(outcomes, turn.outcome)) outcomes[turn.outcome] += 1;
		if (REPLY_OUTCOMES.includes(turn.outcome)) replies += 1;
		if (turn.outcome === 'skipped') {
			const reason = typeof turn.reason === 'string' && turn.reason.trim() !== '' ? turn.reason : UNSPECIFIED_REASON;
			skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
		}
		if (turn.tokens) {
			const used = { prompt: count(turn.tokens.prompt), completion: count(turn.tokens.completion), cached: count(turn.tokens.cached) };
			tokens.prompt += used.prompt;
			tokens.completion += used.completion;
			tokens.cached += used.cached;
			const model = typeof turn.model === 'string' && turn.model.trim() !== '' ? turn.model : UNKNOWN_MODEL;
			const sum = byModelTokens.get(model) ?? { turns: 0, prompt: 0, completion: 0, cached: 0 };
			sum.turns += 1;
			sum.prompt += used.prompt;
			sum.completion += used.completion;
			sum.cached += used.cached;
			byModelTokens.set(model, sum);
		}
		for (const stage of LATENCY_STAGES) {
			const ms = turn.latencyMs?.[stage];
			if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) samples[stage].push(ms);
		}
	}
	tokens.total = tokens.prompt + tokens.completion;

	const byModel: Record<string, ModelUsage> = {};
	const unpricedModels: string[] = [];
	let totalUsd = 0;
	for (const model of [...byModelTokens.keys()].sort()) {
		const sum = byModelTokens.get(model)!;
		const price = model === UNKNOWN_MODEL ? undefined : priceFor(prices, model);
		const cost = price ? modelCostUsd(price, sum) : null;
		if (cost === null) unpricedModels.push(model);
		else totalUsd += cost;
		byModel[model] = { ...sum, costUsd: cost === null ? null : roundUsd(cost) };
	}

	const byCategory: Record<string, { messages: number; billable: number }> = {};
	let billable = 0;
	for (const row of pricing) {
		const category = typeof row.category === 'string' && row.category !== '' ? row.category : 'unknown';
		const entry = (byCategory[category] ??= { messages: 0, billable: 0 });
		entry.messages += 1;
		if (row.billable === true) {
			entry.billable += 1;
			billable += 1;
		}
	}

	const latency = Object.fromEntries(
		LATENCY_STAGES.map((stage) => {
			const sorted = samples[stage].sort((a, b) => a - b);
			return [stage, { samples: sorted.length, p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95) }];
		}),
	) as Record<LatencyStage, LatencySummary>;

	const topSkipReasons = [...skipReasons]
		.map(([reason, n]) => ({ reason, count: n }))
		.sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0))
		.slice(0, TOP_SKIP_REASONS);

	return {
		period: { from: from.toISOString(), to: to.toISOString(), days: Math.round(((to.getTime() - from.getTime()) / MS_PER_DAY) * 100) / 100 },
		messages,
		turns: turns.length,
		replies,
		mergedBursts,
		messagesMerged,
		outcomes,
		tokens,
		modelCost: { totalUsd: roundUsd(totalUsd), byModel, unpricedModels },
		metaMessages: { total: pricing.length, billable, byCategory },
		latency,
		topSkipReasons,
	};
}

/** A price table that is not what {@link parsePriceTable} accepts; the message names the model and the field. */
export class PriceTableError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PriceTableError';
	}
}

const EXAMPLE = '{"gpt-4o": {"inputPerMillion": 2.5, "cachedInputPerMillion": 1.25, "outputPerMillion": 10}}';

const shown = (value: unknown): string => {
	if (value === undefined) return 'nothing';
	const text = JSON.stringify(value) ?? String(value);
	return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/**
 * A price table from JSON: an object of model name → { inputPerMillion, cachedInputPerMillion, outputPerMillion },
 * each a number ≥ 0 (USD per million tokens). Throws a {@link PriceTableError} naming the model and field at fault.
 */
export function parsePriceTable(json: string): PriceTable {
	let raw: unknown;
	try {
		raw = JSON.parse(json);
	} catch (error) {
		throw new PriceTableError(`Price Table is not valid JSON (${(error as Error).message}). Expected e.g. ${EXAMPLE}`);
	}
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		throw new PriceTableError(`Price Table must be a JSON object with one entry per model, e.g. ${EXAMPLE}; got ${Array.isArray(raw) ? 'an array' : shown(raw)}.`);
	}
	const table: PriceTable = {};
	for (const [model, entry] of Object.entries(raw as Record<string, unknown>)) {
		if (model.trim() === '') throw new PriceTableError('Price Table: a model name is empty.');
		if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
			throw new PriceTableError(`Price Table: "${model}" must be an object with ${PRICE_FIELDS.join(', ')} (USD per million tokens); got ${shown(entry)}.`);
		}
		const fields = entry as Record<string, unknown>;
		for (const name of Object.keys(fields)) {
			if (!(PRICE_FIELDS as readonly string[]).includes(name)) {
				throw new PriceTableError(`Price Table: "${model}" has an unknown field "${name}" (expected ${PRICE_FIELDS.join(', ')}).`);
			}
		}
		const price = {} as ModelPrice;
		for (const name of PRICE_FIELDS) {
			const value = fields[name];
			if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
				throw new PriceTableError(
					`Price Table: "${model}".${name} must be a number ≥ 0 (USD per million tokens); got ${shown(value)}.`,
				);
			}
			price[name] = value;
		}
		table[model] = price;
	}
	return table;
}
