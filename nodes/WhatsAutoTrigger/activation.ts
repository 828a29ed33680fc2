import { NodeOperationError, type IHookFunctions } from 'n8n-workflow';

import { storeFor } from '../shared/store/access';
import { subscribeBusinessAccount } from '../shared/transport/account';
import { META_CREDENTIAL, toMetaCredentials } from '../shared/transport/metaCredentials';
import { toTriggerConfig } from './webhook/config';

/**
 * What to tell the operator at activation when n8n runs with its default expression sandboxing, or undefined.
 * n8n 2.x (expression engine `vm`, its default) acquires an isolated expression sandbox before it calls a
 * community trigger's webhook (it skips that for its own Webhook node only), unless
 * N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE is on: ~45–80 ms CPU per delivery (README, Performance and tuning). The
 * values are read as n8n's config reads them ('true' or '1', any case); a `_FILE` variant counts as set.
 */
export function expressionEngineHint(env: NodeJS.ProcessEnv = process.env): string | undefined {
	const engine = env.N8N_EXPRESSION_ENGINE?.trim().replace(/^(['"])(.*)\1$/, '$2');
	if (engine === 'legacy') return undefined; // no sandbox to acquire
	if (['true', '1'].includes(env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE?.toLowerCase() ?? '')) return undefined;
	if (env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE === undefined && env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE_FILE) return undefined;
	return (
		'WhatsAuto Trigger: N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE is not true, so n8n builds an isolated expression sandbox ' +
		'before every call of this webhook (about 45-80 ms CPU per delivery, before the trigger runs). Set ' +
		'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (optionally N8N_EXPRESSION_ENGINE_COMPILE_CACHE=true) on the processes that ' +
		'serve webhooks; see the README, Performance and tuning.'
	);
}

/**
 * On activation: refuse a configuration that cannot work (so the error shows in the editor, not at the
 * first customer message), open the store (running migrations), subscribe the business account, and say once
 * (expressionEngineHint) when n8n's expression sandboxing costs every delivery CPU.
 */
export async function activate(ctx: IHookFunctions): Promise<boolean> {
	const node = ctx.getNode();
	const creds = toMetaCredentials(await ctx.getCredentials(META_CREDENTIAL));
	if (!creds.appSecret || !creds.verifyToken || !creds.phoneNumberId) {
		throw new NodeOperationError(node, 'The WhatsApp Cloud API credential needs an App Secret, a Verify Token and a Phone Number ID.');
	}
	const config = toTriggerConfig({
		messageTypes: ctx.getNodeParameter('messageTypes', ['all']) as string[],
		events: ctx.getNodeParameter('events', []) as string[],
		options: ctx.getNodeParameter('options', {}) as object,
	} as never);
	try {
		const { keys } = await storeFor(ctx);
		if (config.contentByReference && !keys) {
			throw new NodeOperationError(node, 'Content by Reference needs a WhatsAuto: Store API credential (its Secret Key encrypts the content).');
		}
	} catch (error) {
		if (error instanceof NodeOperationError) throw error;
		throw new NodeOperationError(node, `The WhatsAuto store could not be opened: ${(error as Error).message}`);
	}
	if (config.subscribeOnActivation && creds.businessAccountId) {
		try {
			await subscribeBusinessAccount(async (options) => await ctx.helpers.httpRequest(options), creds);
		} catch (error) {
			ctx.logger.warn(
				`WhatsAuto Trigger could not subscribe WhatsApp Business Account ${creds.businessAccountId} to the app: ${(error as Error).message}`,
			);
		}
	}
	const hint = expressionEngineHint();
	if (hint) ctx.logger.warn(hint);
	return true;
}
