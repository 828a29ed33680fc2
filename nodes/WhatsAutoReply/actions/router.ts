import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { perItem } from '../../shared/perItem';
import { storeFor } from '../../shared/store/access';
import { pause, resume, status } from './conversation';
import type { ReplyOperation } from './conversation/fields';
import { execute as reply } from './reply/execute';
import { report } from './usage';

const PER_ITEM = { pause: pause.execute, resume: resume.execute, status: status.execute, usage: report.execute } as const;

/** Reply answers the items (outputs: Replies, Handoff, Rule); the conversation operations and the usage report run per item, output Replies. */
export async function router(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = ctx.getNodeParameter('operation', 0, 'reply') as ReplyOperation;
	if (operation === 'reply') return await reply(ctx);
	const run = PER_ITEM[operation];
	const access = await storeFor(ctx);
	return [await perItem(ctx, async (itemIndex) => await run(ctx, access, itemIndex)), [], []];
}
