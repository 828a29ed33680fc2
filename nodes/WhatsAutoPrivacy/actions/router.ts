import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { PrivacyOperation } from './fields';
import { detect, execute, extendDeadline, getStatus, listOpen, verify } from './request';
import { privacyServices } from './services';
import { perItem } from '../../shared/perItem';

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
	return [await perItem(ctx, async (itemIndex) => await run(ctx, svc, itemIndex))];
}
