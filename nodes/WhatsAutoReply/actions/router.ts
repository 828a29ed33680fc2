import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { perItem } from '../../shared/perItem';
import { storeFor } from '../../shared/store/access';
import { pause, resume, status } from './conversation';
import type { ReplyOperation } from './conversation/fields';
import { execute as reply } from './reply/execute';
import { report } from './usage';
import { list, notify } from './waitlist';

const PER_ITEM = { pause: pause.execute, resume: resume.execute, status: status.execute, usage: report.execute } as const;

/** Operations about the whole waitlist rather than an item: once per execution, however many items came in. */
const ONCE = { waitlist: list.execute, notifyWaitlist: notify.execute } as const;

const runsOnce = (operation: ReplyOperation): operation is keyof typeof ONCE => Object.prototype.hasOwnProperty.call(ONCE, operation);

/** Reply answers the items (outputs: Replies, Handoff, Rule, Flagged); the conversation operations and the usage report run per item, the waitlist operations once; all output on Replies. */
export async function router(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = ctx.getNodeParameter('operation', 0, 'reply') as ReplyOperation;
	if (operation === 'reply') return await reply(ctx);
	const access = await storeFor(ctx);
	const output = runsOnce(operation) ? await once(ctx, async () => await ONCE[operation](ctx, access)) : await perItem(ctx, async (itemIndex) => await PER_ITEM[operation](ctx, access, itemIndex));
	return [output, [], [], []];
}

/** A whole-run operation (the waitlist's); when the node continues on fail, its error becomes the one output item (`error`). */
async function once(ctx: IExecuteFunctions, run: () => Promise<INodeExecutionData[]>): Promise<INodeExecutionData[]> {
	try {
		return await run();
	} catch (error) {
		if (!ctx.continueOnFail()) throw error;
		return [{ json: { error: (error as Error).message }, pairedItem: { item: 0 } }];
	}
}
