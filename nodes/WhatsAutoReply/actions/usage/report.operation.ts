import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import { aggregateUsage, DEFAULT_PRICES, parsePriceTable, PriceTableError, type PriceTable } from '../../../shared/usage/aggregate';
import { readUsage } from '../../../shared/usage/ledger';
import type { StoreAccess } from '../../../shared/store/access';
import { forOperations } from '../conversation/fields';
import { PeriodError, resolvePeriod } from './period';

const periodField: INodeProperties = {
	displayName: 'Period',
	name: 'period',
	type: 'options',
	options: [
		{ name: 'Custom Range', value: 'custom', description: 'From and To below' },
		{ name: 'Last 30 Days', value: 'last30Days', description: 'The 30 days up to now' },
		{ name: 'Last 7 Days', value: 'last7Days', description: 'The 7 days up to now' },
	],
	default: 'last7Days',
	description: 'Which turns the report sums up: a rolling window ending when the node runs, or a range of your own',
};

const fromField: INodeProperties = {
	displayName: 'From',
	name: 'from',
	type: 'dateTime',
	required: true,
	default: '',
	description: 'Start of the period (in the workflow’s time zone unless the date carries an offset)',
	displayOptions: { show: { period: ['custom'] } },
};

const toField: INodeProperties = {
	displayName: 'To',
	name: 'to',
	type: 'dateTime',
	default: '',
	description: 'End of the period; empty means now',
	displayOptions: { show: { period: ['custom'] } },
};

const priceTableField: INodeProperties = {
	displayName: 'Price Table',
	name: 'priceTable',
	type: 'json',
	default: JSON.stringify(DEFAULT_PRICES, null, 2),
	description:
		'Model prices in USD per million tokens: inputPerMillion, cachedInputPerMillion (prompt tokens served from the cache) and outputPerMillion per model. The defaults are OpenAI list prices: check them and edit to your contract. A model missing here is reported with cost null.',
};

export const description: INodeProperties[] = forOperations(['usage'], [periodField, fromField, toField, priceTableField]);

function priceTableParameter(ctx: IExecuteFunctions, itemIndex: number): PriceTable {
	const value = ctx.getNodeParameter('priceTable', itemIndex, '') as unknown;
	try {
		if (typeof value === 'string') return parsePriceTable(value.trim() === '' ? '{}' : value);
		if (typeof value === 'object' && value !== null) return parsePriceTable(JSON.stringify(value));
		throw new PriceTableError(`Price Table must be JSON text or an object; got ${typeof value}.`);
	} catch (error) {
		if (error instanceof PriceTableError) throw new NodeOperationError(ctx.getNode(), error.message, { itemIndex });
		throw error;
	}
}

function periodParameter(ctx: IExecuteFunctions, itemIndex: number, now: Date): { from: Date; to: Date } {
	const period = ctx.getNodeParameter('period', itemIndex, 'last7Days') as unknown;
	const custom = period === 'custom';
	try {
		return resolvePeriod(
			period,
			custom ? ctx.getNodeParameter('from', itemIndex, '') : undefined,
			custom ? ctx.getNodeParameter('to', itemIndex, '') : undefined,
			ctx.getTimezone(),
			now,
		);
	} catch (error) {
		if (error instanceof PeriodError) throw new NodeOperationError(ctx.getNode(), error.message, { itemIndex });
		throw error;
	}
}

/**
 * Usage Report: the period's turns and Meta pricing rows from the ledger, summed up (aggregateUsage). Metadata
 * only: counts, tokens, costs, latencies, reasons; never a message or a phone number.
 */
export async function execute(ctx: IExecuteFunctions, access: StoreAccess, itemIndex: number): Promise<INodeExecutionData> {
	const { from, to } = periodParameter(ctx, itemIndex, new Date());
	const prices = priceTableParameter(ctx, itemIndex);
	let usage: Awaited<ReturnType<typeof readUsage>>;
	try {
		usage = await readUsage(access.store, from, to);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), error as Error, {
			itemIndex,
			message: `Could not read the usage ledger from the WhatsAuto store: ${(error as Error).message}`,
		});
	}
	const report = aggregateUsage({ turns: usage.turns, pricing: usage.pricing, prices, from, to });
	return { json: report as unknown as IDataObject, pairedItem: { item: itemIndex } };
}
