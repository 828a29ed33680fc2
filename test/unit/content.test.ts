import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { forgetContent, keepByReference, resolveContent, splitContent } from '../../nodes/shared/store/contentByReference';
import { closeAllStores, openStore } from '../../nodes/shared/store';
import type { WhatsAutoStore } from '../../nodes/shared/store/types';
import { toContentKeys } from '../../nodes/shared/store/access';
import { parseDelivery } from '../../nodes/shared/whatsapp';
import { change, delivery, MESSAGES, SHEENA } from '../fixtures/webhooks/cloud-api';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const keys = toContentKeys({ secretKey: SECRET })!;

/** An image from José whose caption holds a card number. */
const message = parseDelivery(
	delivery(
		change('messages', {
			metadata: { phone_number_id: '2', display_phone_number: '3' },
			contacts: [{ ...SHEENA, profile: { name: 'José' } }],
			messages: [{ ...MESSAGES.image, id: 'wamid.IMG', image: { caption: 'my card 4111 1111 1111 1111', mime_type: 'image/jpeg', sha256: 'x', id: '99' } }],
		}),
	),
)[0] as unknown as Record<string, unknown>;

describe('content by reference', () => {
	let dir: string;
	let store: WhatsAutoStore;

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'whatsauto-content-'));
		store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
	});

	afterAll(async () => {
		await closeAllStores();
		rmSync(dir, { recursive: true, force: true });
	});

	it('keeps only metadata in the item', () => {
		const { metadata, content } = splitContent(message);
		expect(metadata).toMatchObject({ messageId: 'wamid.IMG', type: 'image', media: { mimeType: 'image/jpeg' } });
		expect(JSON.stringify(metadata)).not.toContain('4111');
		expect(content).toMatchObject({ text: 'my card 4111 1111 1111 1111' });
	});

	it('stores content and media encrypted and resolves them back', async () => {
		const media = { data: Buffer.from('JPEG-BYTES-ÄÖ'), mimeType: 'image/jpeg', fileName: 'photo.jpg' };
		const item = await keepByReference(store, keys, message, 60_000, media);
		expect(item.contentRef).toEqual(expect.any(String));
		expect(JSON.stringify(item)).not.toMatch(/4111|JPEG-BYTES/);

		const stored = await store.getContent(item.contentRef as string);
		expect(stored!.data.toString('latin1')).not.toContain('4111');
		expect(stored!.contactKey).toBe(keys.pseudonymise('16505551234'));
		expect(stored!.contactKey).not.toContain('16505551234');

		const resolved = await resolveContent(store, keys, item);
		expect(resolved!.message).toMatchObject({ messageId: 'wamid.IMG', text: 'my card 4111 1111 1111 1111' });
		expect(resolved!.message).not.toHaveProperty('contentRef');
		expect(resolved!.media).toEqual(media);

		expect(await forgetContent(store, item.contentRef as string)).toBe(true);
		expect(await resolveContent(store, keys, item)).toBeUndefined();
	});

	it('gives the item pseudonymous ids: no number, name or Meta message id; the content keeps them', async () => {
		const quoted = { ...message, context: { messageId: 'wamid.QUOTED', from: '15550783881', forwarded: true } };
		const item = await keepByReference(store, keys, quoted, 60_000);
		const pseudonym = keys.pseudonymise('16505551234');
		expect(item).toMatchObject({ kind: 'message', type: 'image', contactKey: `wa:${pseudonym}`, messageId: expect.stringMatching(/^m:[0-9a-f]{64}$/), context: { forwarded: true } });
		expect(item).not.toHaveProperty('from');
		expect(JSON.stringify(item)).not.toMatch(/16505551234|José|wamid\.|15550783881"\}/);
		const resolved = await resolveContent(store, keys, item);
		expect(resolved!.message).toMatchObject({ messageId: 'wamid.IMG', contactKey: '16505551234', from: { waId: '16505551234', name: 'José' }, context: { messageId: 'wamid.QUOTED' } });

		// Show Contact Number: the ids come back on the item (never the name); off, ids stay as they were.
		const shown = await keepByReference(store, keys, message, 60_000, undefined, { show: { from: { waId: '16505551234' } } });
		expect(shown).toMatchObject({ contactKey: `wa:${pseudonym}`, from: { waId: '16505551234' } });
		expect(JSON.stringify(shown)).not.toContain('José');
		const clear = await keepByReference(store, keys, message, 60_000, undefined, { pseudonymous: false });
		expect(clear).toMatchObject({ messageId: 'wamid.IMG', contactKey: '16505551234', from: { waId: '16505551234' } });
	});

	it('cannot be read with another secret', async () => {
		const item = await keepByReference(store, keys, message, 60_000);
		const otherKeys = toContentKeys({ secretKey: 'another-secret-that-is-long-enough-987654321' })!;
		await expect(resolveContent(store, otherKeys, item)).rejects.toThrow();
	});

	it('is gone after its time-to-live', async () => {
		const item = await keepByReference(store, keys, message, 1);
		await new Promise((resolve) => setTimeout(resolve, 5));
		expect(await resolveContent(store, keys, item)).toBeUndefined();
	});

	it('refuses a short secret', () => {
		expect(() => toContentKeys({ secretKey: 'short' })).toThrow(/at least 32/);
		expect(toContentKeys({})).toBeUndefined();
	});
});
