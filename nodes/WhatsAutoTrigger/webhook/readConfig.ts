import type { IDataObject, INodeParameters, IWebhookFunctions } from 'n8n-workflow';

import { toTriggerConfig, type TriggerConfig } from './config';

const TOP_LEVEL = ['messageTypes', 'emitStatuses', 'events', 'options'] as const;
const MAX_ENTRIES = 256;
const cache = new Map<string, TriggerConfig>();

function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(hasExpression);
	if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/**
 * The trigger's configuration for this call. Plain parameter values are read as they are, without
 * `getNodeParameter`, which would set up n8n's expression machinery on every delivery; only a workflow
 * that really uses expressions in the trigger pays for them.
 */
export function readConfig(ctx: IWebhookFunctions): TriggerConfig {
	const parameters: INodeParameters = ctx.getNode().parameters;
	if (hasExpression(parameters)) {
		const resolved: IDataObject = {};
		for (const name of TOP_LEVEL) resolved[name] = ctx.getNodeParameter(name, undefined) as IDataObject[keyof IDataObject];
		return toTriggerConfig(resolved);
	}
	const key = JSON.stringify(parameters);
	let config = cache.get(key);
	if (!config) {
		if (cache.size >= MAX_ENTRIES) cache.clear();
		config = toTriggerConfig(parameters as IDataObject);
		cache.set(key, config);
	}
	return config;
}
