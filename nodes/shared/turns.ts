import type { IBinaryKeyData, IDataObject, INodeExecutionData } from 'n8n-workflow';

/**
 * One turn (the trigger's conversation gate, nodes/WhatsAutoTrigger/gate): everything a contact wrote before they paused, as one item. The messages keep their own fields
 * (types, media, content references, ids) in order; `text` joins their texts (absent when kept by reference);
 * `messageIds` lists them for outcomes recorded per message; the last message's fields are the item's own, so a
 * node answering the item quotes the last message.
 */
export function turnItem(messages: INodeExecutionData[], contactKey: string): INodeExecutionData {
	const jsons = messages.map((m) => m.json);
	const last = jsons[jsons.length - 1] ?? {};
	const texts = jsons.map((j) => j.text).filter((t): t is string => typeof t === 'string' && t.length > 0);
	const binary: IBinaryKeyData = {};
	messages.forEach((m, i) => {
		if (m.binary?.data) binary[`data${i}`] = m.binary.data;
	});
	const json: IDataObject = {
		...last,
		kind: 'turn',
		contactKey: typeof last.contactKey === 'string' ? last.contactKey : contactKey,
		messageIds: jsons.map((j) => j.messageId).filter((id): id is string => typeof id === 'string'),
		messages: jsons,
		messageCount: jsons.length,
	};
	if (texts.length) json.text = texts.join('\n');
	else delete json.text;
	return Object.keys(binary).length ? { json, binary } : { json };
}

/** Messages too old to answer, reported on the Events output instead (no content: ids and times). */
export function expiredItem(contactKey: string, messages: Array<{ id: string; sentAt: number }>): INodeExecutionData {
	return {
		json: {
			kind: 'expired',
			contactKey,
			count: messages.length,
			inboxIds: messages.map((m) => m.id),
			firstSentAt: new Date(Math.min(...messages.map((m) => m.sentAt))).toISOString(),
		},
	};
}
