/**
 * The Auto-Reply reads a turn's content by reference once per message, however many steps need it (the joined
 * text, the conversation commands, the understanding): counted at the store on a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { toContentKeys } from '../../nodes/shared/store/access';
import { keepByReference } from '../../nodes/shared/store/contentByReference';
import { SqliteStore } from '../../nodes/shared/store/sqlite';
import type { WhatsAutoStore } from '../../nodes/shared/store/types';
import { customerTexts } from '../../nodes/WhatsAutoReply/actions/reply/conversation';
import { ContentReader } from '../../nodes/WhatsAutoReply/actions/reply/incoming';
import type { InboundMessage } from '../../nodes/shared/whatsapp';

const keys = toContentKeys({ secretKey: 'k'.repeat(40) })!;
let dir: string;
let store: SqliteStore;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'whatsauto-reader-'));
	store = await SqliteStore.open({ backend: 'sqlite', path: join(dir, 'store.db') });
});

afterAll(async () => {
	await store?.close();
	rmSync(dir, { recursive: true, force: true });
});

/** Counts the store's content reads. */
function counting(target: WhatsAutoStore): { reads: string[] } {
	const seen = { reads: [] as string[] };
	const getContent = target.getContent.bind(target);
	jest.spyOn(target, 'getContent').mockImplementation(async (ref: string) => {
		seen.reads.push(ref);
		return await getContent(ref);
	});
	return seen;
}

it('resolves each message of a turn once for the joined text, the commands and the understanding', async () => {
	const texts = ['Hello there', 'do you open on Sunday', 'human'];
	const messages: IDataObject[] = [];
	for (const [index, text] of texts.entries()) {
		messages.push((await keepByReference(store, keys, { kind: 'message', messageId: `wamid.reader-${index}`, type: 'text', contactKey: '34600000001', text }, 60_000)) as IDataObject);
	}
	const item = { json: { ...messages[2], kind: 'turn', messages } as IDataObject };
	const seen = counting(store);
	const reader = new ContentReader({ store, keys });

	const { message } = await reader.incoming(item);
	expect(message?.text).toBe(texts.join('\n'));
	expect(await customerTexts(item.json, message as InboundMessage, reader)).toEqual(texts);
	const entries = await reader.turnEntries(item, () => ({ media: async () => ({ failed: 'none' }), transcribe: async () => '', mask: (text) => text }));
	expect(entries.map((entry) => entry.message.text)).toEqual(texts);

	const refs = messages.map((m) => String(m.contentRef));
	expect([...seen.reads].sort()).toEqual([...refs].sort());
	jest.restoreAllMocks();
});

it('an expired message reads as expired, and is left out of the texts', async () => {
	const kept = await keepByReference(store, keys, { kind: 'message', messageId: 'wamid.reader-gone', type: 'text', contactKey: '34600000001', text: 'gone soon' }, 60_000);
	await store.deleteContent(String(kept.contentRef));
	const reader = new ContentReader({ store, keys });
	expect(await reader.incoming({ json: kept as IDataObject })).toEqual({ expired: true });
	expect(await reader.turnTexts({ kind: 'turn', messages: [kept as IDataObject] })).toEqual([]);
});
