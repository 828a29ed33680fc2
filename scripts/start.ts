/**
 * `npm start`: see WhatsAuto work on this machine, nothing to sign up for.
 *
 * Installs the pinned n8n if needed, builds and packs this package, and starts a local n8n (SQLite, user
 * folder .n8n-local/, kept between runs) with the package installed as a community package, the templates
 * from workflows/ imported, wired and active, and an owner account; Meta's Graph API is played by a local
 * fake, OpenAI by OpenAI itself (OPENAI_API_KEY) or the offline demo responder. Then it serves the sandbox,
 * a page that plays the customer's phone, and runs until Ctrl-C.
 *
 * Environment: OPENAI_API_KEY, OPENAI_BASE_URL, N8N_PORT (default 5678), SANDBOX_PORT (default 5680),
 * WHATSAUTO_LOCAL_FOLDER (default .n8n-local), WHATSAUTO_N8N_LOGS=1 (echo n8n's output),
 * WHATSAUTO_SAVE_EXECUTIONS=1 (save execution data, for n8n's Executions tab; applies on the first run).
 */
import { relative } from 'node:path';

import { repoRoot } from '../devkit/n8n';
import { startLocalStack, type LocalStack } from '../sandbox/stack';

const started = Date.now();
const say = (line: string) => process.stdout.write(`[whatsauto] ${line}\n`);

let stack: LocalStack | undefined;
let stopping = false;

async function shutdown(signal: string) {
	if (stopping) {
		say('Stopping already; press Ctrl-C again in a few seconds to force.');
		process.exit(130); // the harness's exit hook SIGKILLs n8n's process group
	}
	stopping = true;
	if (!stack) {
		// Interrupted during start-up: nothing to stop gracefully yet. On exit, the harness SIGKILLs n8n (server and
		// any CLI command in progress) and the credential files this start-up wrote are removed (devkit/n8n/secret-files).
		say(`${signal} during start-up: stopping, and removing the credential files written so far.`);
		process.exit(130);
	}
	say(`${signal}: stopping n8n, the sandbox and the fakes…`);
	const force = setTimeout(() => {
		say('Still stopping after 40 s; forcing.');
		process.exit(1);
	}, 40_000);
	force.unref();
	await stack?.stop();
	say('Stopped. Your n8n data stays in the user folder for next time.');
	process.exit(0);
}

process.on('SIGINT', () => void shutdown('Ctrl-C'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

async function main() {
	say('Starting WhatsAuto locally: n8n + the WhatsAuto nodes + a sandbox WhatsApp phone.');
	stack = await startLocalStack({
		userFolder: process.env.WHATSAUTO_LOCAL_FOLDER || undefined,
		log: say,
		echoN8nLogs: process.env.WHATSAUTO_N8N_LOGS === '1',
	});
	if (stopping) return;
	const s = stack;
	const folder = relative(process.cwd(), s.userFolder) || s.userFolder;
	const line = '─'.repeat(78);
	const rows = [
		line,
		`  Sandbox (you are the customer):   ${s.sandboxUrl}`,
		`  n8n editor:                       ${s.editorUrl}`,
		`      log in as ${s.owner.email} / ${s.owner.password}${s.owner.loginWorks ? '' : '  (changed since: use your own)'}`,
		`      auto-responder workflow:      ${s.editorUrl}/workflow/${s.workflows.autoResponder}`,
		`  Privacy request web form:         ${s.formUrl}`,
		`      the sandbox phone's number is +${s.customer.waId}`,
		'',
		...(s.ai.mode === 'openai'
			? [`  AI: real OpenAI (${s.ai.baseUrl}) — OPENAI_API_KEY is set.`]
			: [
					'  AI: OFFLINE DEMO RESPONDER — no OPENAI_API_KEY, so replies are canned and marked',
					'      "[offline demo responder]". Set OPENAI_API_KEY and restart for GPT-4o.',
				]),
		`  WhatsApp: a local fake of Meta's Graph API (${s.graph.baseUrl}); nothing leaves this machine.`,
		`  n8n data, login and secrets: ${folder}/ (kept between runs; delete it to start over)`,
		line,
		`Ready in ${Math.round((Date.now() - started) / 1000)} s${s.owner.created ? ' (owner account created)' : ''}. Press Ctrl-C to stop.`,
	];
	process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch(async (error: unknown) => {
	process.stderr.write(`[whatsauto] npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
	process.stderr.write(`[whatsauto] (repository: ${repoRoot})\n`);
	await stack?.stop().catch(() => undefined);
	process.exit(1);
});
