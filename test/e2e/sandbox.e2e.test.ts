/**
 * `npm start`'s stack, started the same way (startLocalStack) in a temp folder on free ports, driven through
 * the sandbox page in headless Chromium: a real n8n 2.41.1 with the packed package and the three templates,
 * the fake Graph API as WhatsApp, the offline demo responder as OpenAI. Also takes the README screenshots
 * (sandbox-conversation.png, editor-auto-responder.png) from the running system, into test-results/screenshots/
 * (ignored by git, so a test run leaves the work tree clean); `npm run docs:screenshots` copies them into docs/.
 *
 * Needs Debian's chromium (scripts/chromium.sh installs it; without it this test fails, it never skips).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { OFFLINE_LABEL } from '../../sandbox/responder';
import { ACCOUNT, startLocalStack, type LocalStack } from '../../sandbox/stack';
import { sampleAudio, samplePdf } from '../../devkit/fakes/openai';
import type { WebhookEnvelope } from '../../devkit/fakes/webhook-payloads';
import { freePorts, repoRoot } from '../../devkit/n8n';

jest.setTimeout(600_000);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const REPLY_TIMEOUT = 60_000;
const SCREENSHOTS = join(repoRoot, 'test-results', 'screenshots');

/** A PNG photo: a blue mug-ish shape on a warm background (something worth looking at in the screenshot). */
function photoPng(width = 320, height = 220): Buffer {
	const chunk = (type: string, data: Buffer) => {
		const head = Buffer.alloc(8);
		head.writeUInt32BE(data.length, 0);
		head.write(type, 4, 'latin1');
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])), 0);
		return Buffer.concat([head, data, crc]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 2, 0, 0, 0], 8);
	const rows: Buffer[] = [];
	for (let y = 0; y < height; y++) {
		const row = Buffer.alloc(1 + width * 3);
		for (let x = 0; x < width; x++) {
			const body = x > 100 && x < 200 && y > 50 && y < 190;
			const handle = Math.hypot(x - 205, y - 115) < 38 && Math.hypot(x - 205, y - 115) > 22 && x > 200;
			const rgb = body || handle ? [30, 80 + (y % 40), 200 - Math.floor(x / 4)] : [245 - Math.floor(y / 6), 214 - Math.floor(y / 8), 170];
			row.set(rgb, 1 + x * 3);
		}
		rows.push(row);
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(Buffer.concat(rows))),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

function ensureChromium(): void {
	if (existsSync(CHROMIUM)) return;
	try {
		execFileSync('bash', [join(repoRoot, 'scripts', 'chromium.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
	} catch (error) {
		const e = error as Error & { stderr?: Buffer };
		throw new Error(`Chromium is required for this test and could not be installed (scripts/chromium.sh): ${e.message}\n${e.stderr?.toString() ?? ''}`);
	}
	if (!existsSync(CHROMIUM)) throw new Error(`scripts/chromium.sh finished but ${CHROMIUM} is missing`);
}

describe('npm start: the local stack and its sandbox page', () => {
	let stack: LocalStack;
	let folder: string;
	let browser: Browser;
	let context: BrowserContext;
	let page: Page;
	const timings: Record<string, number> = {};

	const businessMessages = () => page.locator('[data-testid="business-message"]');
	const customerMessages = () => page.locator('[data-testid="customer-message"]');
	const sentToCustomer = () => stack.graph.sent.filter((s) => s.waId === stack.customer.waId);
	const sentText = (s: (typeof stack.graph.sent)[number]) => {
		const body = s.body[s.type] as { body?: string; caption?: string } | undefined;
		return body?.body ?? body?.caption ?? '';
	};

	/** Waits for business message number `index` (0-based) in the page and returns its text. */
	async function businessReply(index: number): Promise<string> {
		const reply = businessMessages().nth(index);
		await reply.waitFor({ state: 'visible', timeout: REPLY_TIMEOUT });
		return await reply.innerText();
	}

	async function type(text: string) {
		await page.fill('[data-testid="composer-input"]', text);
		await page.press('[data-testid="composer-input"]', 'Enter');
	}

	async function attach(file: { name: string; mimeType: string; buffer: Buffer }, text: string) {
		await page.setInputFiles('[data-testid="attach"]', file);
		await page.locator('#attachment').waitFor({ state: 'visible', timeout: 5_000 });
		await page.fill('[data-testid="composer-input"]', text);
		await page.click('[data-testid="send"]');
	}

	beforeAll(async () => {
		const t0 = Date.now();
		ensureChromium();
		timings.chromiumMs = Date.now() - t0;

		folder = await mkdtemp(join(tmpdir(), 'whatsauto-sandbox-e2e-'));
		const [n8nPort, sandboxPort] = await freePorts(2);
		const t1 = Date.now();
		stack = await startLocalStack({
			userFolder: folder,
			n8nPort,
			sandboxPort,
			openAiApiKey: '', // the offline demo responder, whatever the environment says
			saveExecutions: true, // to check what the workflow did with each message
			echoN8nLogs: process.env.WHATSAUTO_E2E_ECHO === '1',
		});
		timings.stackMs = Date.now() - t1;

		browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
		context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
		context.setDefaultTimeout(30_000);
		page = await context.newPage();
		await page.goto(stack.sandboxUrl, { timeout: 30_000 });
		await page.locator('#connection.ok').waitFor({ timeout: 10_000 });
	});

	afterAll(async () => {
		await browser?.close().catch(() => undefined);
		await stack?.stop();
		if (folder) await rm(folder, { recursive: true, force: true, maxRetries: 3 });
		console.log(`sandbox e2e timings (ms): ${JSON.stringify(timings)}`);
	});

	it('started everything: owner account, active templates, credentials wired, offline responder labelled on the page', async () => {
		expect(stack.owner).toMatchObject({ email: 'owner@whatsauto.local', created: true, loginWorks: true });
		// the owner's password and the keys stay, owner-only; the harness's decrypted CLI input is gone
		expect(statSync(join(folder, 'whatsauto-local.json')).mode & 0o777).toBe(0o600);
		expect(existsSync(join(folder, 'harness-input'))).toBe(false);
		expect(stack.ai.mode).toBe('offline');
		const active = await stack.n8n.cli(['list:workflow', '--active=true', '--onlyId']);
		for (const id of Object.values(stack.workflows)) expect(active).toContain(id);
		// the trigger subscribed the business account on activation, through the fake Graph API
		expect(stack.graph.subscriptions.some((s) => s.kind === 'subscribed_apps' && s.method === 'POST')).toBe(true);
		// the privacy form answers
		const form = await fetch(stack.formUrl, { signal: AbortSignal.timeout(10_000) });
		expect(form.status).toBe(200);
		expect(await form.text()).toContain('Your data, your choice');
		await expect(page.locator('#ai-mode').getAttribute('data-mode')).resolves.toBe('offline');
		expect(await page.locator('#ai-mode').innerText()).toMatch(/OFFLINE DEMO RESPONDER/);
	});

	// needs memory in the template: the Auto-Reply node's conversation memory is what sends the responder the earlier turns.
	// First in the conversation, so that exactly one message came before the second.
	it('remembers the conversation: the second reply says how many earlier messages it was given and quotes the last one', async () => {
		await type('Do you sell blue mugs?');
		const first = await businessReply(0);
		expect(first).toContain('You wrote: “Do you sell blue mugs?”');
		expect(first).not.toContain('I remember');
		// labelled as the offline responder's also when the first-contact AI disclosure comes before it
		await expect(businessMessages().nth(0).getAttribute('data-offline')).resolves.toBe('true');

		await type('Do you deliver to Lisbon?');
		const second = await businessReply(1);
		expect(second).toContain('You wrote: “Do you deliver to Lisbon?”');
		expect(second).toContain('I remember 1 earlier message; you last said “Do you sell blue mugs?”');
	});

	it('answers a typed message: read ticks, typing indicator, a labelled reply from the business knowledge', async () => {
		const t = Date.now();
		const [before, chats] = [await businessMessages().count(), stack.offlineAi!.chatRequests.length];
		await type('What are your opening hours?');
		const reply = await businessReply(before);
		timings.textReplyMs = Date.now() - t;
		expect(reply).toContain(OFFLINE_LABEL);
		expect(reply).toContain('You wrote: “What are your opening hours?”');
		expect(reply).toContain('Opening hours: Monday to Saturday, 9:00-18:00.');
		await expect(customerMessages().last().locator('[data-testid="ticks"]').getAttribute('data-state')).resolves.toBe('read');

		const sent = sentToCustomer().at(-1)!;
		expect(sent.type).toBe('text');
		expect(sentText(sent).startsWith(OFFLINE_LABEL)).toBe(true);
		const events = stack.sandbox.events();
		const id = events.filter((e) => e.type === 'customer').at(-1)!.id;
		expect(events.filter((e) => e.id === id).map((e) => e.type)).toEqual(expect.arrayContaining(['customer', 'delivery', 'read', 'typing']));
		expect(stack.offlineAi!.chatRequests).toHaveLength(chats + 1);
	});

	it('understands a photo with a caption', async () => {
		const t = Date.now();
		const before = await businessMessages().count();
		await attach({ name: 'blue-mug.png', mimeType: 'image/png', buffer: photoPng() }, 'Is this mug available in blue?');
		const reply = await businessReply(before);
		timings.imageReplyMs = Date.now() - t;
		expect(reply).toContain(OFFLINE_LABEL);
		expect(reply).toContain('I see a photo (PNG, 320×220 pixels) with the caption “Is this mug available in blue?”');
		expect(stack.offlineAi!.chatRequests.at(-1)!.images).toHaveLength(1);
		await expect(customerMessages().last().locator('img').count()).resolves.toBe(1);
		expect(sentText(sentToCustomer().at(-1)!)).toContain('I see a photo');
	});

	it('reads a PDF', async () => {
		const t = Date.now();
		const before = await businessMessages().count();
		await attach({ name: 'invoice-118.pdf', mimeType: 'application/pdf', buffer: samplePdf(['Invoice 2026-118', 'Total: 42.00 EUR']) }, 'Can you check this invoice?');
		const reply = await businessReply(before);
		timings.pdfReplyMs = Date.now() - t;
		expect(reply).toContain(OFFLINE_LABEL);
		expect(reply).toContain('I received your PDF “invoice-118.pdf” (2 pages) with the caption “Can you check this invoice?”');
		expect(reply).toContain('It reads: “Invoice 2026-118 Total: 42.00 EUR”');
		expect(stack.offlineAi!.chatRequests.at(-1)!.files[0]).toMatchObject({ filename: 'invoice-118.pdf', pages: 2 });
		expect(sentText(sentToCustomer().at(-1)!)).toContain('invoice-118.pdf');
	});

	it('transcribes a voice note (offline: the words typed with it) and answers from the knowledge', async () => {
		const t = Date.now();
		const before = await businessMessages().count();
		await attach({ name: 'voice-note.ogg', mimeType: 'audio/ogg', buffer: sampleAudio('ogg', 3, 7) }, 'Do you deliver on Saturdays?');
		const reply = await businessReply(before);
		timings.voiceReplyMs = Date.now() - t;
		expect(reply).toContain('Your voice note said: “Do you deliver on Saturdays?”');
		expect(reply).toContain('Delivery: free over 50 EUR.');
		expect(stack.offlineAi!.transcriptionRequests.at(-1)).toMatchObject({ status: 200, text: 'Do you deliver on Saturdays?' });

		await mkdir(SCREENSHOTS, { recursive: true });
		await page.setViewportSize({ width: 1280, height: 1060 });
		await page.locator('#messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
		await page.screenshot({ path: join(SCREENSHOTS, 'sandbox-conversation.png') });
		await page.setViewportSize({ width: 1280, height: 860 });
	});

	it('STOP: confirmation, then no AI reply to the next message', async () => {
		const workflowId = stack.workflows.autoResponder;
		const before = (await stack.n8n.executions({ workflowId })).length;
		const replies = await businessMessages().count();
		await page.click('.command[data-command="STOP"]');
		const confirmation = await businessReply(replies);
		expect(confirmation).toContain('we\'ve stopped processing your messages with AI');
		expect(confirmation).not.toContain(OFFLINE_LABEL);
		await stack.n8n.waitForExecutions(before + 1, { workflowId, timeoutMs: 30_000 });

		const chats = stack.offlineAi!.chatRequests.length;
		const sent = sentToCustomer().length;
		await type('Are you still there?');
		const executions = await stack.n8n.waitForExecutions(before + 2, { workflowId, timeoutMs: 30_000 });
		const last = executions.at(-1)!;
		expect(last.status).toBe('success');
		expect(last.items['GPT-4 Auto-Reply']).toEqual([expect.objectContaining({ status: 'skipped', reason: 'objected' })]);
		await page.waitForTimeout(1_500); // longer than the sandbox's 100 ms poll and the page's event stream
		expect(stack.offlineAi!.chatRequests).toHaveLength(chats);
		expect(sentToCustomer()).toHaveLength(sent);
		await expect(businessMessages().count()).resolves.toBe(replies + 1);
		await expect(customerMessages().last().locator('[data-testid="ticks"]').getAttribute('data-state')).resolves.toBe('delivered');
	});

	it('"send me my data" returns the export as a document the page links for download', async () => {
		await page.click('.command[data-command="send me my data"]');
		const doc = page.locator('[data-testid="document-link"]').first();
		await doc.waitFor({ state: 'visible', timeout: REPLY_TIMEOUT });
		const href = await doc.getAttribute('href');
		const res = await fetch(new URL(href!, stack.sandboxUrl), { signal: AbortSignal.timeout(10_000) });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="PR-.*-personal-data/);
		expect((await res.text()).length).toBeGreaterThan(50);
	});

	it('"delete my data": the question comes with reply buttons; tapping "Delete all my data" sends the button reply and the erasure is confirmed', async () => {
		const t = Date.now();
		await page.click('.command[data-command="delete my data"]');
		const buttons = page.locator('[data-testid="reply-button"]');
		await buttons.first().waitFor({ state: 'visible', timeout: REPLY_TIMEOUT });
		expect(await buttons.allInnerTexts()).toEqual(['↩ Delete all my data', '↩ Cancel']);
		const question = businessMessages().last();
		expect(await question.innerText()).toContain('Do you want us to delete all the personal data we hold about you');
		const asked = sentToCustomer().find((s) => s.type === 'interactive')!;
		const requestId = /PR-\d{8}-[A-Z2-9]{6}/.exec(JSON.stringify(asked.body))![0];
		await expect(question.getAttribute('data-id')).resolves.toBe(asked.id);

		const before = await businessMessages().count();
		await buttons.filter({ hasText: 'Delete all my data' }).click();
		// the customer's side: the tap as a reply quoting the question, the buttons used up
		const tapped = page.locator('[data-testid="customer-message"][data-kind="button"]');
		await tapped.waitFor({ state: 'visible', timeout: 10_000 });
		expect(await tapped.innerText()).toContain('Delete all my data');
		expect(await tapped.locator('.quote').innerText()).toContain('Do you want us to delete');
		await page.locator('.reply-button.chosen').waitFor({ timeout: 10_000 });
		expect(await Promise.all([0, 1].map((i) => buttons.nth(i).isDisabled()))).toEqual([true, true]);
		// what reached n8n: a signed interactive button_reply with the button's id and title, quoting the question
		const tap = stack.sandbox.events().filter((e) => e.type === 'customer').at(-1)!;
		expect(tap).toMatchObject({ kind: 'button', replyTo: asked.id, buttonId: `whatsauto:erase:confirm:${requestId}`, text: 'Delete all my data' });
		await expect(tapped.locator('[data-testid="ticks"]').getAttribute('data-state')).resolves.not.toBe('failed');

		// the erasure ran: its confirmation arrives (partly: STOP above keeps its suppression entry)
		const receipt = await businessReply(before);
		timings.erasureMs = Date.now() - t;
		expect(receipt).toContain(`Your erasure request ${requestId} is complete`);
		expect(sentText(sentToCustomer().at(-1)!)).toContain(requestId);
	});

	it('answers as a person at the business: n8n accepts the signed smb_message_echoes delivery, the chat shows the agent', async () => {
		await page.locator('.suggest[data-text="human"]').waitFor({ state: 'visible' });
		const [sent, replies] = [sentToCustomer().length, await businessMessages().count()];
		const body = 'Hi, this is Ana from the shop — I’ll check that for you.';
		const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/agent');
		await page.fill('[data-testid="agent-input"]', body);
		await page.click('[data-testid="agent-send"]');
		const response = await answered;
		const { id, status } = (await response.json()) as { id: string; status: number };
		// what n8n answered: the trigger checks X-Hub-Signature-256 (401 when it does not match the app secret)
		expect({ page: response.status(), n8n: status }).toEqual({ page: 200, n8n: 200 });

		const bubble = page.locator(`[data-testid="agent-message"][data-id="${id}"]`);
		await bubble.locator('[data-testid="ticks"][data-state="delivered"]').waitFor({ timeout: 10_000 });
		expect(await bubble.innerText()).toContain('👤 Agent');
		expect(await bubble.innerText()).toContain(body);
		await expect(page.locator('[data-testid="agent-input"]').inputValue()).resolves.toBe('');

		// what reached the trigger's production URL: Meta's echo of a Business-app message, business number → this customer
		const delivery = stack.graph.webhooks.filter((w) => w.kind === 'delivery').at(-1)!;
		expect(delivery.url).toBe(stack.webhookUrl);
		expect(delivery.results.map((r) => r.status)).toEqual([200]);
		expect((delivery.payload as WebhookEnvelope).entry).toEqual([
			{
				id: ACCOUNT.businessAccountId,
				changes: [
					{
						field: 'smb_message_echoes',
						value: {
							messaging_product: 'whatsapp',
							metadata: { display_phone_number: ACCOUNT.displayPhoneNumber, phone_number_id: ACCOUNT.phoneNumberId },
							message_echoes: [
								{ from: ACCOUNT.displayPhoneNumber, to: stack.customer.waId, id, timestamp: expect.stringMatching(/^\d+$/), type: 'text', text: { body } },
							],
						},
					},
				],
			},
		]);
		expect(stack.sandbox.events().filter((e) => e.id === id).map((e) => e.type)).toEqual(['agent', 'delivery']);
		// the person's message did not go through the Cloud API, and nothing answers it
		await page.waitForTimeout(1_500);
		expect(sentToCustomer()).toHaveLength(sent);
		await expect(businessMessages().count()).resolves.toBe(replies);
	});

	it('shows the auto-responder in the n8n editor to the owner', async () => {
		const editor = await context.newPage();
		try {
			await editor.setViewportSize({ width: 1440, height: 900 });
			const login = await context.request.post(`${stack.editorUrl}/rest/login`, {
				data: { emailOrLdapLoginId: stack.owner.email, password: stack.owner.password },
				timeout: 30_000,
			});
			expect(login.status()).toBe(200);
			await editor.goto(`${stack.editorUrl}/workflow/${stack.workflows.autoResponder}`, { timeout: 60_000 });
			const nodes = editor.locator('[data-test-id="canvas-node"]');
			await nodes.first().waitFor({ state: 'visible', timeout: 60_000 });
			// n8n opens a "Production Checklist" popover over the canvas shortly after loading; close it
			const close = editor.locator('[data-test-id="suggested-actions-close"]');
			if (await close.waitFor({ state: 'visible', timeout: 8_000 }).then(() => true, () => false)) {
				await close.click();
				await close.waitFor({ state: 'hidden', timeout: 5_000 });
			}
			await editor.waitForTimeout(1_000); // canvas fit-to-view animation
			const names = await editor.locator('[data-test-id="canvas-node"]').allInnerTexts();
			for (const name of ['WhatsAuto Trigger', 'Privacy Command?', 'Handle Privacy Request', 'GPT-4 Auto-Reply']) {
				expect(names.join('\n')).toContain(name);
			}
			await mkdir(SCREENSHOTS, { recursive: true });
			await editor.screenshot({ path: join(SCREENSHOTS, 'editor-auto-responder.png') });
		} finally {
			await editor.close();
		}
	});
});
