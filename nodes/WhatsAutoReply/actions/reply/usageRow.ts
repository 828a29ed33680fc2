/** The usage ledger's row for one item (usage/ledger.ts): stages timed, tokens, outcome; labels only, never text. */
import { type IDataObject } from 'n8n-workflow';
import { GraphApiError } from '../../../shared/transport/graphApi';
import { isTurn, turnMessages } from './turn';
import { ConversationSettingsError } from './conversation';
import { type UsageEntry, type UsageLatencies, type UsageOutcome } from '../../../shared/usage/ledger';
import type { Usage } from './model';

export type Stage = 'understand' | 'model' | 'send';

/** A finite number field of an item, else undefined. */
export const numberField = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * The usage ledger's row for an item: its message types (a turn's, in order), the outcome, the model's tokens, and
 * the stage latencies. `ack` and `wait` come from the conversation gate's hand-off (gate/handoff.ts): `receivedAt`,
 * when the trigger stored the (last) message, and `handedOnAt`, when the turn was handed on (epoch ms).
 */
export function usageEntry(
	json: IDataObject,
	subject: string,
	outcome: { status: UsageOutcome; reason?: string; graphMessageIds: string[]; at: string },
	stages: Partial<Record<Stage, number>>,
	totalMs: number,
	model: { name: string; usage?: Usage } | undefined,
): UsageEntry {
	const types = isTurn(json) ? turnMessages(json).map((m) => String(m.type ?? 'other')) : [String(json.type ?? 'other')];
	const receivedAt = numberField(json.receivedAt);
	const handedOnAt = numberField(json.handedOnAt);
	const sentAt = numberField(json.timestampUnix);
	const latencyMs: UsageLatencies = {
		...(receivedAt !== undefined && sentAt ? { ack: Math.max(0, receivedAt - sentAt * 1000) } : {}),
		...(receivedAt !== undefined && handedOnAt !== undefined ? { wait: Math.max(0, handedOnAt - receivedAt) } : {}),
		...Object.fromEntries(Object.entries(stages).map(([stage, ms]) => [stage, Math.max(0, Math.round(ms))])),
		total: Math.max(0, Math.round(totalMs)),
	};
	return {
		at: outcome.at,
		contactKey: subject,
		messageTypes: types,
		messages: types.length,
		outcome: outcome.status,
		...(outcome.reason ? { reason: outcome.reason } : {}),
		...(model ? { model: model.name } : {}),
		...(model?.usage ? { tokens: { prompt: model.usage.promptTokens, completion: model.usage.completionTokens, cached: model.usage.cachedTokens } } : {}),
		latencyMs,
		sent: outcome.graphMessageIds.length,
	};
}

/** Why an item failed, as a label for the usage ledger (never an error's text: it may quote what was sent). */
export function failureLabel(error: unknown): string {
	if (error instanceof ConversationSettingsError) return 'conversation_settings';
	if (error instanceof GraphApiError) return `graph_api${error.code !== undefined ? `_${error.code}` : ''}`;
	return 'error';
}
