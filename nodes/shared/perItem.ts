import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/**
 * Runs an operation once per input item, in order; when the node continues on fail, an item's error becomes
 * that item's output (`error`) instead of stopping the rest.
 */
export async function perItem(ctx: IExecuteFunctions, run: (itemIndex: number) => Promise<INodeExecutionData>): Promise<INodeExecutionData[]> {
	const results: INodeExecutionData[] = [];
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			results.push(await run(itemIndex));
		} catch (error) {
			if (!ctx.continueOnFail()) throw error;
			results.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
		}
	}
	return results;
}
