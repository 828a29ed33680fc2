import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { storeFor } from '../../shared/store/access';
import { pause, resume, status } from './conversation';
import type { ReplyOperation } from './conversation/fields';
import { execute as reply } from './reply/execute';

const CONVERSATION = { pause: pause.execute, resume: resume.execute, status: status.execute } as const;

/** Reply answers the items (outputs: Replies, Handoff); the conversation operations run per item, output Replies. */
export async function router(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = ctx.getNodeParameter('operation', 0, 'reply') as ReplyOperation;
	if (operation === 'reply') return await reply(ctx);
	const run = CONVERSATION[operation];
	const access = await storeFor(ctx);
	const results: INodeExecutionData[] = [];
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			results.push(await run(ctx, access, itemIndex));
		} catch (error) {
			if (!ctx.continueOnFail()) throw error;
			results.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
		}
	}
	return [results, []];
}
