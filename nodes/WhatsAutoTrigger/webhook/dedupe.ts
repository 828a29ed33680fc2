import { createHash } from 'node:crypto';

import type { WebhookUpdate } from '../../shared/whatsapp';
import { isObject } from '../../shared/whatsapp/read';

function stableJson(v: unknown): string {
	if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
	if (isObject(v)) {
		const keys = Object.keys(v)
			.filter((k) => v[k] !== undefined)
			.sort();
		return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
	}
	return JSON.stringify(v) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A stable key for at-least-once dedupe: equal for redeliveries of the same update, distinct otherwise.
 * Value-level errors carry neither id nor timestamp, so identical errors for the same number share a key.
 */
export function dedupeKey(update: WebhookUpdate): string {
	switch (update.kind) {
		case 'message':
			return `message:${update.phoneNumberId}:${update.messageId}`;
		case 'status': {
			const codes = update.status === 'failed' ? `:${(update.errors ?? []).map((e) => e.code).join(',')}` : '';
			return `status:${update.messageId}:${update.status}${codes}`;
		}
		case 'user_preferences':
			return `user_preferences:${update.phoneNumberId}:${update.waId || update.userId || ''}:${update.category}:${update.value}:${update.timestampUnix}`;
		case 'message_echo':
			return `message_echo:${update.messageId}`;
		case 'standby': {
			const ids = [
				...update.messages.map((m) => m.messageId),
				...update.echoes.map((e) => `echo:${e.messageId}`),
				...update.statuses.map((s) => `status:${s.messageId}:${s.status}`),
			];
			return `standby:${update.phoneNumberId}:${sha256(ids.length ? ids.join(',') : stableJson(update))}`;
		}
		case 'error':
			return `error:${update.phoneNumberId}:${sha256(stableJson(update.error))}`;
		case 'unknown_field':
			return `unknown_field:${update.field}:${sha256(stableJson(update.value))}`;
	}
}
