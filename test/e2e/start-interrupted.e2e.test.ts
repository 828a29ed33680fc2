/**
 * `npm start` interrupted before it is ready leaves no credentials behind: the files holding them (the stack's
 * `whatsauto-local.json` with the owner password and keys, the harness's decrypted `credentials.json` for
 * `n8n import:credentials`) are owner-only (0600, in a 0700 folder) while they exist, and gone after Ctrl-C or an
 * error during start-up; nothing keeps running in the folder.
 *
 * Ctrl-C: scripts/start.ts compiled as `npm start` compiles it, run in a process group of its own, SIGINT to the
 * group (what a terminal does) while `n8n import:credentials` runs. Error: startLocalStack in-process with n8n's
 * start bounded to 1 ms.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePorts, repoRoot } from '../../devkit/n8n';
import { startLocalStack } from '../../sandbox/stack';

jest.setTimeout(600_000);

const STATE = 'whatsauto-local.json';
const CREDENTIALS = join('harness-input', 'credentials.json');
const START_JS = join(repoRoot, 'node_modules', '.cache', 'whatsauto-start', 'scripts', 'start.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const modeOf = (path: string): number | undefined => {
	try {
		return statSync(path).mode & 0o777;
	} catch {
		return undefined;
	}
};

/** Pids of processes whose working directory is in `folder` (the harness runs n8n and its CLI there). */
function processesIn(folder: string): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			if (readlinkSync(`/proc/${entry}/cwd`).startsWith(folder)) pids.push(Number(entry));
		} catch {
			/* gone, or not ours to read */
		}
	}
	return pids;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, everyMs = 20): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

describe('npm start interrupted before it is ready', () => {
	const folders: string[] = [];
	let child: ChildProcess | undefined;
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		const t0 = Date.now();
		// what `npm start` runs first
		await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.start.json'], { cwd: repoRoot, timeout: 180_000 });
		timings.compileMs = Date.now() - t0;
	});

	afterAll(async () => {
		if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
		for (const folder of folders) await rm(folder, { recursive: true, force: true, maxRetries: 3 });
		console.log(`start interrupted timings (ms): ${JSON.stringify(timings)}`);
	});

	it('Ctrl-C while n8n imports the credentials: exit 130, the credential files removed, nothing left running', async () => {
		const parent = await mkdtemp(join(tmpdir(), 'whatsauto-start-int-'));
		folders.push(parent);
		const folder = join(parent, 'local'); // created by npm start
		const [n8nPort, sandboxPort] = await freePorts(2);
		let output = '';
		const t0 = Date.now();
		child = spawn(process.execPath, [START_JS], {
			cwd: repoRoot,
			env: { ...process.env, WHATSAUTO_LOCAL_FOLDER: folder, N8N_PORT: String(n8nPort), SANDBOX_PORT: String(sandboxPort), OPENAI_API_KEY: '' },
			detached: true, // a process group of its own, like a terminal's foreground job
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
		child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
		const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

		// the moment with the most secrets on disk
		const seen = await waitFor(
			'the harness credentials file',
			() => {
				if (child!.exitCode !== null || output.includes('Ready in')) throw new Error(`npm start got past the credentials import:\n${output}`);
				const credentials = modeOf(join(folder, CREDENTIALS));
				return credentials === undefined
					? undefined
					: { credentials, state: modeOf(join(folder, STATE)), folder: modeOf(folder), harnessInput: modeOf(join(folder, 'harness-input')) };
			},
			300_000,
		);
		timings.untilCredentialsMs = Date.now() - t0;
		expect(seen).toEqual({ credentials: 0o600, state: 0o600, folder: 0o700, harnessInput: 0o700 });
		expect(processesIn(folder).length).toBeGreaterThan(0); // n8n's CLI at work

		const t1 = Date.now();
		process.kill(-child.pid!, 'SIGINT');
		expect(await exited).toBe(130);
		timings.exitMs = Date.now() - t1;
		expect(output).toContain('Ctrl-C during start-up');
		expect(existsSync(join(folder, STATE))).toBe(false);
		expect(existsSync(join(folder, CREDENTIALS))).toBe(false);
		await waitFor('no process left in the folder', () => (processesIn(folder).length === 0 ? true : undefined), 10_000, 100);
	});

	it('an error before ready (n8n start bounded to 1 ms): the credential files removed, nothing left running', async () => {
		const parent = await mkdtemp(join(tmpdir(), 'whatsauto-start-err-'));
		folders.push(parent);
		const folder = join(parent, 'local');
		const [n8nPort, sandboxPort] = await freePorts(2);
		const t0 = Date.now();
		await expect(startLocalStack({ userFolder: folder, n8nPort, sandboxPort, openAiApiKey: '', startTimeoutMs: 1 })).rejects.toThrow(/timed out after 1 ms/);
		timings.errorCaseMs = Date.now() - t0;
		expect(existsSync(join(folder, STATE))).toBe(false);
		expect(existsSync(join(folder, CREDENTIALS))).toBe(false);
		expect(existsSync(join(folder, 'whatsauto-local.pid'))).toBe(false);
		expect(existsSync(join(folder, '.n8n', 'database.sqlite'))).toBe(true); // it got as far as n8n's database
		expect(modeOf(folder)).toBe(0o700);
		expect(processesIn(folder)).toEqual([]);
	});
});
