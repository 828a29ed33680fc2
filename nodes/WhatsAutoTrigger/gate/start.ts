import type { IDataObject, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';

import { toTriggerConfig } from '../webhook/config';
import { HandoffLoop, type HandoffOptions } from './handoff';
import { takeManualRun } from './manual';

/**
 * The trigger's `trigger()`: n8n calls it once per active workflow (on the leader main in queue mode), besides
 * registering the webhooks. With the conversation gate on it starts the hand-off loop, which at once takes over
 * whatever a previous run left waiting (recovery after a crash or restart); off, it does nothing. In manual runs
 * (test webhooks, which skip the gate) it passes on the items of the webhook call that started the run.
 */
export function startGate(ctx: ITriggerFunctions, options?: HandoffOptions): ITriggerResponse {
	if (ctx.getMode() === 'manual') {
		// A test webhook's execution: hand on what the webhook call produced (manual.ts), gate or not.
		return { manualTriggerFunction: async () => ctx.emit(takeManualRun(ctx) ?? [[], [], []]) };
	}
	const config = toTriggerConfig(
		Object.fromEntries(['messageTypes', 'emitStatuses', 'events', 'options'].map((name) => [name, ctx.getNodeParameter(name, undefined)])) as IDataObject,
	);
	if (!config.gate) return {};
	const loop = new HandoffLoop(ctx, config, config.gate, options);
	loop.start();
	return { closeFunction: async () => loop.stop() };
}
