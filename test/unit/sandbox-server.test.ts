/**
 * The sandbox page's server (sandbox/server.ts) on its own, over real HTTP: the fake Graph API plays WhatsApp and
 * a small HTTP server plays n8n's webhook. It answers its own page only (Host, Origin), takes JSON only where it
 * takes a body, serves uploads as nosniff attachments, and makes its message ids from a cryptographic source.
 * Resume AI (POST /api/resume) ends the sandbox customer's pause in the WhatsAuto store n8n's nodes use (SQLite in
 * n8n's user folder, opened here through a handle of its own, as n8n would). Also: secret files
 * (devkit/n8n/secret-files.ts) are written 0600 and removed unless kept.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startFakeGraphApi, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { repoRoot } from '../../devkit/n8n/paths';
import { keepSecretFile, markSecretFile, removePendingSecretFiles, writeSecretFile } from '../../devkit/n8n/secret-files';
import { pauseFor, pauseOf } from '../../nodes/shared/conversation/pause';
import { toContentKeys } from '../../nodes/shared/store/access';
import { defaultSqlitePath } from '../../nodes/shared/store/index';
import { canonicalOf } from '../../nodes/shared/store/people';
import { SCOPES } from '../../nodes/shared/store/scopes';
import { SqliteStore } from '../../nodes/shared/store/sqlite';
import { startSandbox, storeConfigOf, type Sandbox } from '../../sandbox/server';

const ACCOUNT = { accessToken: 'EAAG-sandbox-test', appSecret: 'sandbox_test_secret', phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
const CUSTOMER = { waId: '447700900123', name: 'Alex (test)' };

interface Reply {
	status: number;
	headers: IncomingHttpHeaders;
	body: Buffer;
	json: () => Record<string, unknown>;
}

/** A raw request (node:http, so Host can be anything). */
function request(port: number, o: { method?: string; path?: string; headers?: Record<string, string | undefined>; body?: string | Buffer }): Promise<Reply> {
	const headers = Object.fromEntries(Object.entries({ Host: `localhost:${port}`, ...o.headers }).filter(([, v]) => v !== undefined)) as Record<string, string>;
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const body = Buffer.concat(chunks);
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown> });
			});
		});
		req.on('error', reject);
		req.end(o.body);
	});
}

describe('sandbox server', () => {
	let graph: FakeGraphApi;
	let sandbox: Sandbox;
	let receiver: http.Server;
	let port: number;
	const deliveries: string[] = [];
	const logged: string[] = [];

	const own = () => `http://localhost:${port}`;
	const sendJson = (body: unknown, headers: Record<string, string | undefined> = {}) =>
		request(port, { method: 'POST', path: '/api/send', headers: { Origin: own(), 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

	beforeAll(async () => {
		receiver = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				deliveries.push(Buffer.concat(chunks).toString('utf8'));
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		graph = await startFakeGraphApi(ACCOUNT);
		graph.setWebhookTarget(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`);
		sandbox = await startSandbox({
			graph,
			ai: { mode: 'offline', description: 'test' },
			customer: CUSTOMER,
			businessName: 'Test Business',
			links: { editorUrl: 'http://localhost:1', formUrl: 'http://localhost:1/form' },
			publicDir: join(repoRoot, 'sandbox', 'public'),
			port: 0,
			log: (line) => logged.push(line),
		});
		port = sandbox.port;
	});

	afterAll(async () => {
		await sandbox?.close();
		await graph?.close();
		await new Promise((resolve) => receiver?.close(resolve));
	});

	beforeEach(() => {
		deliveries.length = 0;
		logged.length = 0;
	});

	it('serves its page and API to its own origin, with nosniff and no framing', async () => {
		for (const path of ['/', '/app.js', '/app.css', '/api/info']) {
			const res = await request(port, { path });
			expect({ path, status: res.status }).toEqual({ path, status: 200 });
			expect(res.headers['x-content-type-options']).toBe('nosniff');
			expect(res.headers['x-frame-options']).toBe('DENY');
		}
		for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
			expect((await request(port, { path: '/api/info', headers: { Host: host } })).status).toBe(200);
		}
		expect(logged).toEqual([]);
	});

	it('refuses a foreign Host on every request with 403 and one log line (DNS rebinding)', async () => {
		const cases = [
			{ method: 'GET', path: '/api/info', host: `attacker.example:${port}` },
			{ method: 'GET', path: '/', host: 'localhost' }, // no port: not this server's origin
			{ method: 'GET', path: '/api/events', host: `localhost:${port + 1}` },
			{ method: 'POST', path: '/api/send', host: `rebind.attacker.example:${port}` },
		];
		for (const c of cases) {
			const res = await request(port, {
				method: c.method,
				path: c.path,
				headers: { Host: c.host, Origin: `http://${c.host}`, 'Content-Type': 'application/json' },
				body: c.method === 'POST' ? JSON.stringify({ kind: 'text', text: 'hi' }) : undefined,
			});
			expect({ ...c, status: res.status }).toEqual({ ...c, status: 403 });
			expect(res.headers['access-control-allow-origin']).toBeUndefined();
		}
		expect(logged).toHaveLength(cases.length);
		expect(logged[0]).toMatch(/^sandbox: refused GET "\/api\/info": Host "attacker\.example:\d+" is not this sandbox/);
		expect(deliveries).toEqual([]);
	});

	it('refuses a state-changing request without this sandbox as its Origin (403, one log line, nothing sent)', async () => {
		const before = sandbox.events().length;
		const origins = ['https://evil.example', 'null', `http://localhost:${port + 1}`, `https://localhost:${port}`, undefined];
		for (const origin of origins) {
			const res = await sendJson({ kind: 'text', text: 'delete my data' }, { Origin: origin });
			expect({ origin, status: res.status }).toEqual({ origin, status: 403 });
		}
		expect(logged).toHaveLength(origins.length);
		expect(logged[0]).toMatch(/^sandbox: refused POST "\/api\/send": Origin "https:\/\/evil\.example" is not this sandbox \(http:\/\/localhost:\d+\)$/);
		expect(logged[4]).toMatch(/Origin \(none\)/);
		expect(deliveries).toEqual([]);
		expect(sandbox.events()).toHaveLength(before);
	});

	it('takes JSON only on its JSON endpoint: a form post or a text/plain "simple" request gets 415', async () => {
		const before = sandbox.events().length;
		const bodies: Array<[string | undefined, string]> = [
			['application/x-www-form-urlencoded', 'kind=text&text=STOP'],
			['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntext\r\n--x--\r\n'],
			['text/plain', JSON.stringify({ kind: 'text', text: 'STOP' })],
			['text/plain;charset=UTF-8', JSON.stringify({ kind: 'text', text: 'STOP' })],
			[undefined, JSON.stringify({ kind: 'text', text: 'STOP' })],
		];
		for (const [type, body] of bodies) {
			const res = await request(port, { method: 'POST', path: '/api/send', headers: { Origin: own(), 'Content-Type': type }, body });
			expect({ type, status: res.status }).toEqual({ type, status: 415 });
		}
		expect(deliveries).toEqual([]);
		expect(sandbox.events()).toHaveLength(before);
		// other methods where there is no body to take
		expect((await request(port, { method: 'PUT', path: '/api/send', headers: { Origin: own(), 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(405);
		expect((await request(port, { method: 'POST', path: '/api/info', headers: { Origin: own(), 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(405);
		expect((await request(port, { path: '/api/send' })).headers.allow).toBe('POST');
		expect(logged).toEqual([]);
	});

	it('answers Resume AI with 503 when it has no WhatsAuto store', async () => {
		const res = await request(port, { method: 'POST', path: '/api/resume', headers: { Origin: own(), 'Content-Type': 'application/json' }, body: '{}' });
		expect(res.status).toBe(503);
		expect(res.json().error).toMatch(/no WhatsAuto store/);
	});

	it('accepts what the page sends: same-origin JSON (any loopback name of this server) with a cryptographically random wamid', async () => {
		const a = await sendJson({ kind: 'text', text: 'What are your opening hours?' }, { 'Content-Type': 'application/json; charset=utf-8' });
		expect(a.status).toBe(200);
		const b = await sendJson({ kind: 'text', text: 'Hello again' }, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` });
		expect(b.status).toBe(200);
		const ids = [a.json().id, b.json().id] as string[];
		for (const id of ids) expect(id).toMatch(/^wamid\.[A-Za-z0-9+/=]{40,}$/);
		expect(new Set(ids).size).toBe(2);
		expect(deliveries).toHaveLength(2);
		expect(deliveries[0]).toContain('What are your opening hours?');
		expect((await sendJson('just a string')).status).toBe(400);
		expect((await sendJson({ kind: 'text', text: '' })).status).toBe(400);
	});

	it('serves uploaded files as nosniff attachments, whatever type they claim', async () => {
		const html = '<html><script>alert(document.cookie)</script></html>';
		const cases = [
			{ kind: 'document', filename: 'invoice.html', mimeType: 'text/html', data: Buffer.from(html).toString('base64'), type: 'text/html' },
			{ kind: 'document', filename: 'x.svg', mimeType: 'image/svg+xml\r\nX-Injected: 1', data: Buffer.from('<svg onload="alert(1)"/>').toString('base64'), type: 'application/octet-stream' },
			{ kind: 'document', filename: 'résumé <1>.pdf', mimeType: 'application/pdf', data: Buffer.from('%PDF-1.4').toString('base64'), type: 'application/pdf' },
			{ kind: 'image', mimeType: 'image/png', data: Buffer.from('89504e470d0a1a0a', 'hex').toString('base64'), type: 'image/png' },
		];
		for (const c of cases) {
			const sent = await sendJson({ kind: c.kind, filename: c.filename, mimeType: c.mimeType, data: c.data });
			expect(sent.status).toBe(200);
			const event = sandbox.events().find((e) => e.type === 'customer' && e.id === sent.json().id);
			const mediaId = (event as { mediaId?: string }).mediaId!;
			for (const path of [`/media/${mediaId}`, `/media/${mediaId}?download`]) {
				const res = await request(port, { path });
				expect(res.status).toBe(200);
				expect(res.headers['content-type']).toBe(c.type);
				expect(res.headers['x-content-type-options']).toBe('nosniff');
				expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[\w.\- ]+"/);
				expect(res.headers['content-security-policy']).toContain('sandbox');
				expect(res.headers['x-injected']).toBeUndefined();
				expect(res.body.toString('base64')).toBe(c.data);
			}
		}
		const res = await request(port, { path: `/media/${(sandbox.events().filter((e) => e.type === 'customer').at(-2) as { mediaId: string }).mediaId}` });
		expect(res.headers['content-disposition']).toBe(`attachment; filename="r_sum_ _1_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%3C1%3E.pdf`);
	});

	it('shows the reply buttons the business sends, and turns a tap into the button_reply WhatsApp would deliver (id + title, quoting the message)', async () => {
		// the customer writes first (the 24-hour window), then the business asks with two reply buttons
		expect((await sendJson({ kind: 'text', text: 'delete my data' })).status).toBe(200);
		const buttons = [
			{ type: 'reply', reply: { id: 'whatsauto:erase:confirm:PR-20261206-ABCDEF', title: 'Delete all my data' } },
			{ type: 'reply', reply: { id: 'whatsauto:erase:cancel:PR-20261206-ABCDEF', title: 'Cancel' } },
		];
		const post = (to: string) =>
			fetch(`${graph.baseUrl}/v23.0/${ACCOUNT.phoneNumberId}/messages`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${ACCOUNT.accessToken}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ messaging_product: 'whatsapp', to, type: 'interactive', interactive: { type: 'button', body: { text: 'Delete everything?' }, footer: { text: 'Request PR-20261206-ABCDEF' }, action: { buttons } } }),
			});
		const asked = (await (await post(CUSTOMER.waId)).json()) as { messages: Array<{ id: string }> };
		const messageId = asked.messages[0].id;
		const elsewhere = (await (await post('447700900999')).json()) as { messages: Array<{ id: string }> };
		let shown: Record<string, unknown> | undefined;
		for (let i = 0; i < 50 && !shown; i++) {
			shown = sandbox.events().find((e) => e.type === 'business' && e.id === messageId) as Record<string, unknown> | undefined;
			if (!shown) await new Promise((resolve) => setTimeout(resolve, 50));
		}
		expect(shown).toMatchObject({ kind: 'interactive', text: 'Delete everything?', footer: 'Request PR-20261206-ABCDEF', buttons: buttons.map((b) => b.reply) });
		// the message to the other number was outside its 24-hour window: the fake's 131047 `failed` status webhook
		// follows the send asynchronously; let it arrive before counting what the taps deliver
		for (let i = 0; i < 50 && !deliveries.some((d) => d.includes(elsewhere.messages[0].id)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
		expect(deliveries.some((d) => d.includes(elsewhere.messages[0].id) && d.includes('131047'))).toBe(true);
		deliveries.length = 0;

		// buttons it never sent, or sent to someone else, cannot be tapped; the Origin and JSON checks hold
		const refused = [
			{ kind: 'button', messageId, buttonId: 'whatsauto:erase:confirm:PR-20261206-ZZZZZZ' },
			{ kind: 'button', messageId: 'wamid.nothing', buttonId: buttons[0].reply.id },
			{ kind: 'button', messageId: elsewhere.messages[0].id, buttonId: buttons[0].reply.id },
			{ kind: 'button', messageId },
		];
		for (const body of refused) expect((await sendJson(body)).status).toBe(400);
		expect((await sendJson({ kind: 'button', messageId, buttonId: buttons[0].reply.id }, { Origin: 'https://evil.example' })).status).toBe(403);
		expect(deliveries).toEqual([]);

		const tap = await sendJson({ kind: 'button', messageId, buttonId: buttons[0].reply.id });
		expect(tap.status).toBe(200);
		expect(deliveries).toHaveLength(1);
		const delivered = JSON.parse(deliveries[0]) as { entry: Array<{ changes: Array<{ value: { messages: Array<Record<string, unknown>> } }> }> };
		expect(delivered.entry[0].changes[0].value.messages[0]).toMatchObject({
			from: CUSTOMER.waId,
			id: tap.json().id,
			type: 'interactive',
			interactive: { type: 'button_reply', button_reply: buttons[0].reply },
			context: { from: ACCOUNT.displayPhoneNumber, id: messageId },
		});
		expect(sandbox.events().find((e) => e.type === 'customer' && e.id === tap.json().id)).toMatchObject({ kind: 'button', text: 'Delete all my data', replyTo: messageId, buttonId: buttons[0].reply.id });
	});

	it('ids come from a cryptographic source: no Math.random in the sandbox or the payload fakes', () => {
		const files = [
			...readdirSync(join(repoRoot, 'sandbox')).filter((f) => f.endsWith('.ts')).map((f) => join(repoRoot, 'sandbox', f)),
			...readdirSync(join(repoRoot, 'sandbox', 'public')).filter((f) => f.endsWith('.js')).map((f) => join(repoRoot, 'sandbox', 'public', f)),
			...['webhook-payloads.ts', 'graph-api.ts', 'openai.ts'].map((f) => join(repoRoot, 'devkit', 'fakes', f)),
		];
		for (const file of files) expect({ file, random: /Math\.random/.test(readFileSync(file, 'utf8')) }).toEqual({ file, random: false });
		expect(readFileSync(join(repoRoot, 'devkit', 'fakes', 'webhook-payloads.ts'), 'utf8')).toMatch(/import \{[^}]*randomBytes[^}]*\} from 'node:crypto'/);
	});
});

describe('sandbox server: Resume AI (POST /api/resume)', () => {
	const PAUSES = SCOPES.conversationPause.name;
	const credential = { backend: 'sqlite', sqlitePath: '', secretKey: randomBytes(32).toString('hex') };
	const keys = toContentKeys(credential)!;
	let folder: string;
	let path: string;
	let graph: FakeGraphApi;
	let sandbox: Sandbox;
	let port: number;
	let n8nSide: SqliteStore | undefined;
	const logged: string[] = [];

	const own = () => `http://localhost:${port}`;
	const resumeAi = (o: { method?: string; headers?: Record<string, string | undefined>; body?: string } = {}) =>
		request(port, { method: o.method ?? 'POST', path: '/api/resume', headers: { Origin: own(), 'Content-Type': 'application/json', ...o.headers }, body: o.body ?? '{}' });
	const resumeNotes = () => sandbox.events().flatMap((e) => (e.type === 'resume' ? [e.resumed] : []));
	/** n8n's side: its own handle on the store file, keyed and paused as the Auto-Reply node does on an echo. */
	const pauseAsN8n = async (waId: string) => {
		n8nSide ??= await SqliteStore.open({ backend: 'sqlite', path });
		const subject = (await canonicalOf(n8nSide, keys, { waId }))!;
		await pauseFor(n8nSide, subject, 'human_reply');
		return subject;
	};

	beforeAll(async () => {
		folder = await mkdtemp(join(tmpdir(), 'whatsauto-sandbox-store-'));
		path = defaultSqlitePath({ N8N_USER_FOLDER: folder });
		graph = await startFakeGraphApi(ACCOUNT);
		sandbox = await startSandbox({
			graph,
			ai: { mode: 'offline', description: 'test' },
			customer: CUSTOMER,
			businessName: 'Test Business',
			links: { editorUrl: 'http://localhost:1', formUrl: 'http://localhost:1/form' },
			publicDir: join(repoRoot, 'sandbox', 'public'),
			port: 0,
			log: (line) => logged.push(line),
			store: { credential, userFolder: folder },
		});
		port = sandbox.port;
	});

	afterAll(async () => {
		await n8nSide?.close();
		await sandbox?.close();
		await graph?.close();
		await rm(folder, { recursive: true, force: true });
	});

	it("opens the store where n8n's nodes do: an empty SQLite path is whatsauto.sqlite in n8n's user folder", () => {
		expect(storeConfigOf({ credential, userFolder: folder })).toEqual({ backend: 'sqlite', path: join(folder, '.n8n', 'whatsauto.sqlite') });
		expect(storeConfigOf({ credential: { ...credential, sqlitePath: ' /srv/store.sqlite ' }, userFolder: folder })).toEqual({ backend: 'sqlite', path: '/srv/store.sqlite' });
	});

	it('the page has the Resume AI control, which posts JSON to /api/resume', async () => {
		expect((await request(port, { path: '/' })).body.toString('utf8')).toMatch(/<button[^>]*id="resume"[^>]*>▶ Resume AI<\/button>/);
		expect((await request(port, { path: '/app.js' })).body.toString('utf8')).toContain("post({}, '/api/resume')");
	});

	it('before n8n kept anything: not paused, and no store file created', async () => {
		const res = await resumeAi();
		expect(res.status).toBe(200);
		expect(res.json()).toEqual({ resumed: false });
		expect(existsSync(path)).toBe(false);
		expect(resumeNotes()).toEqual([false]);
	});

	it("ends the customer's pause (the record is gone), only theirs; asked again: it was not paused", async () => {
		const subject = await pauseAsN8n(CUSTOMER.waId);
		const someoneElse = await pauseAsN8n('447700900999');
		expect(await n8nSide!.getRecord(PAUSES, subject)).toBeDefined();

		const first = await resumeAi();
		expect({ status: first.status, body: first.json() }).toEqual({ status: 200, body: { resumed: true } });
		expect(first.headers['cache-control']).toBe('no-store');
		expect(await n8nSide!.getRecord(PAUSES, subject)).toBeUndefined();
		expect(await pauseOf(n8nSide!, subject, 12 * 3_600_000)).toBeUndefined();
		expect(await n8nSide!.getRecord(PAUSES, someoneElse)).toBeDefined();

		const again = await resumeAi();
		expect({ status: again.status, body: again.json() }).toEqual({ status: 200, body: { resumed: false } });
		expect(resumeNotes().slice(-2)).toEqual([true, false]);
		await expect(sandbox.resumeAi()).resolves.toEqual({ resumed: false });
		expect(logged).toEqual([]);
	});

	it('refuses what /api/agent refuses: another method (405), anything but JSON (415), another origin (403); the pause stays', async () => {
		const subject = await pauseAsN8n(CUSTOMER.waId);
		const notes = resumeNotes().length;
		for (const method of ['GET', 'PUT', 'DELETE']) {
			// node:http sends a GET's or DELETE's body without a length: only PUT gets one
			const res = await resumeAi({ method, body: method === 'PUT' ? '{}' : '' });
			expect({ method, status: res.status, allow: res.headers.allow }).toEqual({ method, status: 405, allow: 'POST' });
		}
		for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
			expect({ type, status: (await resumeAi({ headers: { 'Content-Type': type } })).status }).toEqual({ type, status: 415 });
		}
		expect((await resumeAi({ body: 'not json' })).status).toBe(400);
		expect((await resumeAi({ body: '[]' })).status).toBe(400);
		const origins = ['https://evil.example', 'null', `http://localhost:${port + 1}`, undefined];
		for (const origin of origins) expect({ origin, status: (await resumeAi({ headers: { Origin: origin } })).status }).toEqual({ origin, status: 403 });
		expect((await resumeAi({ headers: { Host: `rebind.attacker.example:${port}`, Origin: `http://rebind.attacker.example:${port}` } })).status).toBe(403);
		expect(logged).toHaveLength(origins.length + 1);
		expect(logged[0]).toMatch(/^sandbox: refused POST "\/api\/resume": Origin "https:\/\/evil\.example" is not this sandbox/);
		expect(await n8nSide!.getRecord(PAUSES, subject)).toBeDefined();
		expect(resumeNotes()).toHaveLength(notes);
		expect((await resumeAi()).json()).toEqual({ resumed: true });
	});

	it('closes its store handle on close: with n8n\'s closed too, SQLite folds and removes the WAL', async () => {
		await n8nSide?.close();
		n8nSide = undefined;
		expect(existsSync(path)).toBe(true);
		await sandbox.close();
		expect(existsSync(`${path}-wal`)).toBe(false);
		expect(existsSync(`${path}-shm`)).toBe(false);
		// a request after close finds nothing listening
		await expect(resumeAi()).rejects.toThrow();
	});
});

describe('secret files (devkit/n8n/secret-files)', () => {
	let dir: string;
	beforeEach(async () => {
		dir = await mkdtemp(join(tmpdir(), 'whatsauto-secret-'));
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it('are written 0600, also over a wider existing file, and removed unless kept', async () => {
		const fresh = join(dir, 'fresh.json');
		const wide = join(dir, 'wide.json');
		const kept = join(dir, 'kept.json');
		await writeFile(wide, 'old', { mode: 0o644 });
		await writeSecretFile(fresh, '{"password":"x"}');
		await writeSecretFile(wide, '{"password":"y"}');
		await writeSecretFile(kept, '{"password":"z"}');
		for (const file of [fresh, wide, kept]) expect(statSync(file).mode & 0o777).toBe(0o600);
		keepSecretFile(kept);
		removePendingSecretFiles(); // what the process 'exit' hook does
		expect([existsSync(fresh), existsSync(wide), existsSync(kept)]).toEqual([false, false, true]);

		const existing = join(dir, 'existing.json');
		await writeSecretFile(existing, '{}', { removeOnExit: false });
		removePendingSecretFiles();
		expect(existsSync(existing)).toBe(true);
		markSecretFile(existing);
		removePendingSecretFiles();
		expect(existsSync(existing)).toBe(false);
	});
});
