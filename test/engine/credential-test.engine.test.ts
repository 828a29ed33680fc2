/**
 * The credential tests n8n runs from the editor ("Test" in the credential dialog), against the fake Graph
 * API over real HTTP: what a builder reads when the token expired or the id is wrong.
 */
import { removeUserFolder } from './user-folder';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ICredentialTestFunctions, ICredentialsDecrypted } from 'n8n-workflow';

import { whatsAutoMetaApiTest, whatsAutoStoreApiTest } from '../../nodes/shared/methods/credentialTest';
import { closeAllStores } from '../../nodes/shared/store';
import { startFakeGraphApi, type FakeGraphApi } from '../../devkit/fakes/graph-api';

const ACCOUNT = { accessToken: 'EAAG-cred-test', appSecret: 'cred_secret', phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };

/** n8n's legacy `request` helper as credential tests get it (request-promise options), over fetch. */
const testFunctions: ICredentialTestFunctions = {
	logger: { debug() {}, info() {}, warn() {}, error() {} } as never,
	helpers: {
		request: async (options: { method?: string; uri: string; headers?: Record<string, string>; qs?: Record<string, string> }) => {
			const url = new URL(options.uri);
			for (const [key, value] of Object.entries(options.qs ?? {})) url.searchParams.set(key, String(value));
			const response = await fetch(url, { method: options.method ?? 'GET', headers: options.headers, signal: AbortSignal.timeout(10_000) });
			const text = await response.text();
			let body: unknown = text;
			try {
				body = JSON.parse(text);
			} catch {
				// not JSON
			}
			return { statusCode: response.status, headers: Object.fromEntries(response.headers), body };
		},
	} as never,
};

const credential = (data: Record<string, unknown>): ICredentialsDecrypted => ({ id: 'c1', name: 'test', type: 'whatsAutoMetaApi', data: data as never });

describe('credential tests', () => {
	let graph: FakeGraphApi;
	const storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-cred-'));
	const meta = () => ({
		accessToken: ACCOUNT.accessToken,
		appSecret: ACCOUNT.appSecret,
		verifyToken: 'v',
		phoneNumberId: ACCOUNT.phoneNumberId,
		businessAccountId: ACCOUNT.businessAccountId,
		graphApiVersion: 'v23.0',
		baseUrl: graph.baseUrl,
	});

	beforeAll(async () => {
		graph = await startFakeGraphApi(ACCOUNT);
	});
	afterAll(async () => {
		await graph.close();
		await closeAllStores();
		rmSync(storeFolder, { recursive: true, force: true });
		removeUserFolder();
	});

	it('connects and names the number', async () => {
		const result = await whatsAutoMetaApiTest.call(testFunctions, credential(meta()));
		expect(result).toEqual({ status: 'OK', message: expect.stringContaining('Connected to') });
		expect(graph.requests.some((r) => r.path.endsWith(`/${ACCOUNT.phoneNumberId}`) && r.status === 200)).toBe(true);
	});

	it('explains an expired token without repeating it', async () => {
		graph.setTokenExpired(true);
		try {
			const result = await whatsAutoMetaApiTest.call(testFunctions, credential(meta()));
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(/access token has expired/i);
			expect(result.message).not.toContain(ACCOUNT.accessToken);
		} finally {
			graph.setTokenExpired(false);
		}
	});

	it('explains a wrong phone number id', async () => {
		const result = await whatsAutoMetaApiTest.call(testFunctions, credential({ ...meta(), phoneNumberId: '123123' }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Phone Number ID/);
	});

	it('lists what is missing before calling Meta', async () => {
		const before = graph.requests.length;
		const result = await whatsAutoMetaApiTest.call(testFunctions, credential({ ...meta(), appSecret: '', verifyToken: '' }));
		expect(result).toEqual({ status: 'Error', message: 'Fill in: appSecret, verifyToken.' });
		expect(graph.requests.length).toBe(before);
	});

	it('says when the Graph API cannot be reached', async () => {
		const result = await whatsAutoMetaApiTest.call(testFunctions, credential({ ...meta(), baseUrl: 'http://127.0.0.1:9' }));
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/Could not reach the WhatsApp Cloud API/) });
	});

	it('opens the store and reports its schema, or why it cannot', async () => {
		const ok = await whatsAutoStoreApiTest.call(testFunctions, {
			id: 's1',
			name: 'store',
			type: 'whatsAutoStoreApi',
			data: { backend: 'sqlite', sqlitePath: join(storeFolder, 'store.sqlite'), secretKey: 'x'.repeat(40) },
		});
		expect(ok).toEqual({ status: 'OK', message: expect.stringMatching(/Store ready \(sqlite, schema version \d+\)/) });
		const short = await whatsAutoStoreApiTest.call(testFunctions, {
			id: 's2',
			name: 'store',
			type: 'whatsAutoStoreApi',
			data: { backend: 'sqlite', sqlitePath: join(storeFolder, 'store.sqlite'), secretKey: 'short' },
		});
		expect(short).toEqual({ status: 'Error', message: expect.stringMatching(/at least 32 characters/) });
	});
});
