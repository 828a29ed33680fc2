/**
 * Runs the trigger's `trigger()` (the conversation gate's hand-off loop) the way n8n's active-workflow manager
 * does: n8n-core's real `TriggerContext`, whose `emit` starts an execution (here `runExecution` through
 * `WorkflowExecute`) and resolves the done promise with its run, as n8n's trigger-execution-context factory does.
 */
import { TriggerContext } from 'n8n-core';
import type { ICredentialsHelper, INode, INodeExecutionData, IRun, ITriggerFunctions, ITriggerResponse, Workflow } from 'n8n-workflow';

import { additionalData, runExecution } from './harness';

export interface Emitted {
	data: INodeExecutionData[][];
	run?: IRun;
}

export interface RunningTrigger {
	emitted: Emitted[];
	response: ITriggerResponse;
	/** Resolves once every execution started so far has finished. */
	settled(): Promise<void>;
	stop(): Promise<void>;
}

export async function startTrigger(
	workflow: Workflow,
	node: INode,
	credentialsHelper: ICredentialsHelper,
	options: { failExecutions?: () => boolean; /** Each execution waits for this before it runs (a slow model). */ hold?: () => Promise<void> } = {},
): Promise<RunningTrigger> {
	const emitted: Emitted[] = [];
	const pending: Array<Promise<unknown>> = [];
	const emit: ITriggerFunctions['emit'] = (data, _response, done) => {
		const record: Emitted = { data };
		emitted.push(record);
		const execution = (async () => {
			if (options.hold) await options.hold();
			if (options.failExecutions?.()) throw new Error('execution failed (test)');
			const { run } = await runExecution(workflow, node, data, credentialsHelper, { mode: 'trigger' });
			record.run = run;
			return run;
		})();
		pending.push(execution.then(done?.resolve, done?.reject).catch(() => undefined));
	};
	const context = new TriggerContext(workflow, node, additionalData(credentialsHelper), 'trigger', 'activate', emit);
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const response = (await nodeType.trigger!.call(context)) ?? {};
	return {
		emitted,
		response,
		settled: async () => {
			await Promise.all(pending);
		},
		stop: async () => {
			await response.closeFunction?.();
		},
	};
}

/** Waits until `check` holds (polling), or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, label = 'condition'): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
		await new Promise((r) => setTimeout(r, 25));
	}
}
