import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { PrivacyOperation } from './fields';
import { detect, execute, extendDeadline, getStatus, listOpen, verify } from './request';
import { privacyServices } from './services';

/** The operations that run once per input item. */
const PER_ITEM = { execute: execute.execute, verify: verify.execute, getStatus: getStatus.execute, extend: extendDeadline.execute } as const;

/**
 * Runs the chosen operation: Detect routes items to two outputs without the Meta and store services; List
 * Open runs once; every other operation runs per item, an item's error on its own item when the node continues on fail.
 */
export async function router(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = ctx.getNodeParameter('operation', 0) as PrivacyOperation;
	if (operation === 'detect') return await detect.execute(ctx);
	const svc = await privacyServices(ctx);
	if (operation === 'listOpen') return [await listOpen.execute(ctx, svc)];
	const run = PER_ITEM[operation];
	const results: INodeExecutionData[] = [];
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			results.push(await run(ctx, svc, itemIndex));
		} catch (error) {
			if (!ctx.continueOnFail()) throw error;
			results.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
		}
	}
	return [results];
}
