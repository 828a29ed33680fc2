import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { cacheRoot } from './paths';

const execFileAsync = promisify(execFile);

export interface InstalledPackage {
	packageName: string;
	version: string;
	directory: string;
}

/**
 * Installs a community package tarball into `<userFolder>/.n8n/nodes` exactly the way n8n 2.41's
 * CommunityPackagesService.downloadPackage does it:
 *   tar -xzf <tgz> -C nodes/node_modules/<name> --strip-components=1;
 *   drop devDependencies/peerDependencies/optionalDependencies from its package.json;
 *   `npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow
 *    --ignore-scripts=true --package-lock=false` inside the package folder;
 *   record it in nodes/package.json ({ name: 'installed-nodes', private: true, dependencies }).
 * n8n then finds it at start by scanning nodes/node_modules for n8n-nodes-* (no DB row needed; it
 * just will not be listed under Settings > Community nodes).
 * The npm step is skipped when there are no dependencies, and its result is cached per dependency
 * set under ~/.cache/whatsauto/community-deps, so repeated runs are fast and work offline.
 * `env` must put a suitable node/npm first on PATH.
 */
export async function installCommunityPackage(
	userFolder: string,
	tarball: string,
	env: NodeJS.ProcessEnv,
): Promise<InstalledPackage> {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	await mkdir(join(nodesDir, 'node_modules'), { recursive: true });
	const staging = await mkdtemp(join(nodesDir, '.staging-'));
	await execFileAsync('tar', ['-xzf', tarball, '-C', staging, '--strip-components=1']);
	const pkgPath = join(staging, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(
		await readFile(pkgPath, 'utf8'),
	) as { name: string; version: string; dependencies?: Record<string, string> } & Record<string, unknown>;
	void devDependencies;
	void peerDependencies;
	void optionalDependencies;
	await writeFile(pkgPath, JSON.stringify(pkg, null, 2), 'utf8');

	const directory = join(nodesDir, 'node_modules', pkg.name);
	await rm(directory, { recursive: true, force: true });
	await mkdir(dirname(directory), { recursive: true });
	await rename(staging, directory);

	const deps = pkg.dependencies ?? {};
	if (Object.keys(deps).length > 0) await installDependencies(directory, deps, env);

	const ledgerPath = join(nodesDir, 'package.json');
	const ledger = existsSync(ledgerPath)
		? (JSON.parse(await readFile(ledgerPath, 'utf8')) as { dependencies?: Record<string, string> })
		: {};
	const next = { name: 'installed-nodes', private: true, ...ledger, dependencies: { ...ledger.dependencies, [pkg.name]: pkg.version } };
	await writeFile(ledgerPath, JSON.stringify(next, null, 2), 'utf8');
	return { packageName: pkg.name, version: pkg.version, directory };
}

async function installDependencies(directory: string, deps: Record<string, string>, env: NodeJS.ProcessEnv) {
	const key = createHash('sha256')
		.update(JSON.stringify(Object.entries(deps).sort()))
		.update(process.platform + process.arch)
		.digest('hex')
		.slice(0, 16);
	const cached = join(cacheRoot(), 'community-deps', key, 'node_modules');
	if (existsSync(join(cached, '.whatsauto-complete'))) {
		await copyTree(cached, join(directory, 'node_modules'));
		return;
	}
	const args = [
		'install',
		'--audit=false',
		'--fund=false',
		'--bin-links=false',
		'--install-strategy=shallow',
		'--ignore-scripts=true',
		'--package-lock=false',
		'--prefer-offline',
		'--loglevel=error',
	];
	try {
		await execFileAsync('npm', args, { cwd: directory, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
	} catch (error) {
		const e = error as Error & { stderr?: string };
		throw new Error(`npm install of ${directory}'s dependencies failed: ${e.message}\n${e.stderr ?? ''}`);
	}
	const tmp = `${dirname(cached)}.tmp-${process.pid}`;
	await rm(tmp, { recursive: true, force: true });
	await mkdir(tmp, { recursive: true });
	await copyTree(join(directory, 'node_modules'), join(tmp, 'node_modules'));
	await writeFile(join(tmp, 'node_modules', '.whatsauto-complete'), '');
	// atomic publish; if a concurrent run already published the same key, keep theirs
	await rename(tmp, dirname(cached)).catch(() => rm(tmp, { recursive: true, force: true }));
}

/** `cp -a` (fs.cp takes ~7 s for the ~3000 files of pg + openai; cp -a ~0.3 s). */
async function copyTree(from: string, to: string) {
	await execFileAsync('cp', ['-a', from, to]);
}
