import type { INodeExecutionData } from 'n8n-workflow';

/**
 * n8n runs a node that has a `trigger()` through it in manual executions, test webhooks included (n8n-core's
 * WorkflowExecute.runNode checks `trigger` before `webhook`): the items a test webhook call produced would never
 * reach the workflow. So the webhook, in manual mode, leaves its items here, and `trigger()` in manual mode emits
 * them (start.ts). Both run in the same main process, the webhook call just before the execution it starts.
 */
const pending = new Map<string, INodeExecutionData[][]>();
const MAX_PENDING = 64;

type Source = { getWorkflow(): { id?: string }; getNode(): { id: string } };
const keyOf = (ctx: Source) => `${ctx.getWorkflow().id ?? ''}:${ctx.getNode().id}`;

export function leaveForManualRun(ctx: Source, data: INodeExecutionData[][]): void {
	if (pending.size >= MAX_PENDING) pending.clear();
	pending.set(keyOf(ctx), data);
}

export function takeManualRun(ctx: Source): INodeExecutionData[][] | undefined {
	const key = keyOf(ctx);
	const data = pending.get(key);
	pending.delete(key);
	return data;
}
