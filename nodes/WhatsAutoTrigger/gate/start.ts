import type { IDataObject, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';

import { toTriggerConfig } from '../webhook/config';
import { HandoffLoop, type HandoffOptions } from './handoff';

/**
 * The trigger's `trigger()`: n8n calls it once per active workflow (on the leader main in queue mode), besides
 * registering the webhooks. With the conversation gate on it starts the hand-off loop, which at once takes over
 * whatever a previous run left waiting (recovery after a crash or restart); off, or in the editor's manual
 * runs (test webhooks skip the gate), it does nothing.
 */
export function startGate(ctx: ITriggerFunctions, options?: HandoffOptions): ITriggerResponse {
	if (ctx.getMode() === 'manual') return {};
	const config = toTriggerConfig(
		Object.fromEntries(['messageTypes', 'emitStatuses', 'events', 'options'].map((name) => [name, ctx.getNodeParameter(name, undefined)])) as IDataObject,
	);
	if (!config.gate) return {};
	const loop = new HandoffLoop(ctx, config, config.gate, options);
	loop.start();
	return { closeFunction: async () => loop.stop() };
}
