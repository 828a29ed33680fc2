import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { repoRoot } from './paths';

const execFileAsync = promisify(execFile);

/** PATH with the repo's node_modules/.bin first, like npm scripts get it. */
function npmEnv(): NodeJS.ProcessEnv {
	return { ...process.env, PATH: `${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
}

async function npm(args: string[], cwd: string, timeoutMs: number): Promise<string> {
	try {
		const { stdout } = await execFileAsync('npm', args, {
			cwd,
			env: npmEnv(),
			timeout: timeoutMs,
			maxBuffer: 64 * 1024 * 1024,
		});
		return stdout;
	} catch (error) {
		const e = error as Error & { stdout?: string; stderr?: string };
		throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
	}
}

/**
 * `npm pack` of a package folder into `outDir` (a fresh temp dir by default), without lifecycle
 * scripts (build first if needed). Returns the tarball's absolute path.
 */
export async function packDirectory(dir: string, outDir?: string): Promise<string> {
	const dest = outDir ?? (await mkdtemp(join(tmpdir(), 'whatsauto-pack-')));
	const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], dir, 120_000);
	const [info] = JSON.parse(out) as Array<{ filename: string }>;
	return join(dest, info.filename);
}

let repoTarball: Promise<string> | undefined;

/**
 * Builds this repository (`npm run build`) and packs it (`npm pack`) into a temp dir, once per
 * process (later calls share the result). Returns the tarball path.
 */
export function packRepo(): Promise<string> {
	repoTarball ??= (async () => {
		await npm(['run', 'build'], repoRoot, 300_000);
		return packDirectory(repoRoot);
	})();
	repoTarball.catch(() => (repoTarball = undefined));
	return repoTarball;
}

export interface DummyPackage {
	/** The package folder (package.json, dist/, and the tarball); remove it to clean up. */
	dir: string;
	/** Its npm pack tarball. */
	tarball: string;
	packageName: string;
	/** Full node type to use in workflows: `<packageName>.<nodeName>`. */
	nodeType: string;
}

/**
 * Generates and packs a minimal community node package: one webhook trigger node
 * (`<packageName>.dummyTrigger`, POST, parameter `path`, full path like the built-in Webhook node)
 * that emits `{ dummy: true, marker, dependencies, body, query }` and answers `{ dummy: 'received' }` at once.
 * (Its webhook description needs `responseData: ''`: without it n8n 2.41 evaluates the
 * description's responseData to the default 'firstEntryJson' and answers with that literal string
 * instead of the node's webhookResponse.)
 * Proves the community-package install/load path without depending on this repo's build.
 */
export async function createDummyPackage(
	opts: {
		packageName?: string;
		version?: string;
		/** Echoed in every emitted item, to tell packages/versions apart. */
		marker?: string;
		/**
		 * Runtime dependencies; the node requires each at load time and reports `{ version, resolved }`
		 * per dependency in every item. Check `resolved`: n8n puts its own node_modules on NODE_PATH,
		 * so a dependency missing from the package can silently resolve to n8n's copy.
		 */
		dependencies?: Record<string, string>;
	} = {},
): Promise<DummyPackage> {
	const packageName = opts.packageName ?? 'n8n-nodes-harness-dummy';
	if (!/^(@[^/]+\/)?n8n-nodes-/.test(packageName)) {
		throw new Error(`n8n only loads community packages named n8n-nodes-* or @scope/n8n-nodes-*: ${packageName}`);
	}
	const dir = await mkdtemp(join(tmpdir(), 'whatsauto-dummy-pkg-'));
	const nodeDir = join(dir, 'dist', 'nodes', 'DummyTrigger');
	await mkdir(nodeDir, { recursive: true });
	await writeFile(
		join(dir, 'package.json'),
		JSON.stringify(
			{
				name: packageName,
				version: opts.version ?? '0.0.1',
				description: 'WhatsAuto e2e harness dummy community node',
				keywords: ['n8n-community-node-package'],
				license: 'MIT',
				main: 'index.js',
				files: ['dist', 'index.js'],
				n8n: { n8nNodesApiVersion: 1, credentials: [], nodes: ['dist/nodes/DummyTrigger/DummyTrigger.node.js'] },
				peerDependencies: { 'n8n-workflow': '*' },
				dependencies: opts.dependencies ?? {},
			},
			null,
			2,
		),
	);
	await writeFile(join(dir, 'index.js'), 'module.exports = {};\n');
	const marker = JSON.stringify(opts.marker ?? 'harness-dummy');
	await writeFile(
		join(nodeDir, 'DummyTrigger.node.js'),
		`'use strict';
const dependencies = {};
for (const name of ${JSON.stringify(Object.keys(opts.dependencies ?? {}))}) {
	require(name);
	dependencies[name] = { version: require(name + '/package.json').version, resolved: require.resolve(name) };
}
class DummyTrigger {
	constructor() {
		this.description = {
			displayName: 'Harness Dummy Trigger',
			name: 'dummyTrigger',
			icon: 'fa:vial',
			group: ['trigger'],
			version: 1,
			description: 'Starts the workflow on a POST (e2e harness check)',
			defaults: { name: 'Harness Dummy Trigger' },
			inputs: [],
			outputs: ['main'],
			webhooks: [
				{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: '', path: '={{$parameter["path"]}}', isFullPath: true },
			],
			properties: [{ displayName: 'Path', name: 'path', type: 'string', default: 'dummy', required: true }],
		};
	}
	async webhook() {
		const req = this.getRequestObject();
		return {
			webhookResponse: { dummy: 'received' },
			workflowData: [[{ json: { dummy: true, marker: ${marker}, dependencies, body: req.body, query: req.query } }]],
		};
	}
}
module.exports = { DummyTrigger };
`,
	);
	const tarball = await packDirectory(dir, dir);
	return { dir, tarball, packageName, nodeType: `${packageName}.dummyTrigger` };
}
