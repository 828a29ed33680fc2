/**
 * The throwaway Redis and PostgreSQL servers of scripts/redis.sh and scripts/postgres.sh (installed with apt-get
 * and started when needed), or the servers WHATSAUTO_TEST_REDIS_* / WHATSAUTO_TEST_PG_* name instead: for queue
 * mode (queue.ts), the bench, and the tests that need a real PostgreSQL.
 *
 *   const postgres = await startPostgres();   // postgres.connection: host, port, user, password, database
 *   await postgres.stop();                    // stops the server only if this call started it
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from './paths';

export interface RedisConnection {
	host: string;
	port: number;
	password: string;
}

export interface PostgresConnection {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
}

export interface Service<C> {
	connection: C;
	/** Whether this process started the server (then stop() stops it; otherwise stop() leaves it running). */
	startedHere: boolean;
	stop(): Promise<void>;
}

function readEnvFile(path: string, prefix: string): Record<string, string> {
	const values: Record<string, string> = {};
	for (const line of readFileSync(path, 'utf8').split('\n')) {
		const match = new RegExp(`^${prefix}([A-Z]+)=(.*)$`).exec(line.trim());
		if (match) values[match[1]] = match[2];
	}
	return values;
}

function runScript(script: string, args: string[], timeoutMs: number): Promise<string> {
	return new Promise((resolve, reject) =>
		execFile('bash', [join(repoRoot, 'scripts', script), ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
			error ? reject(new Error(`scripts/${script} ${args.join(' ')} failed: ${stderr.trim() || error.message}`)) : resolve(stdout),
		),
	);
}

async function startService<C>(script: string, prefix: string, toConnection: (values: Record<string, string>) => C): Promise<Service<C>> {
	const running = spawnSync('bash', [join(repoRoot, 'scripts', script), 'status'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
	const out = await runScript(script, ['start'], 300_000); // a first run installs the server with apt-get
	const values = readEnvFile(out.trim().split('\n').pop() ?? '', prefix);
	let stopped = false;
	return {
		connection: toConnection(values),
		startedHere: !running,
		async stop() {
			if (stopped || running) return;
			stopped = true;
			await runScript(script, ['stop'], 90_000);
		},
	};
}

/**
 * The throwaway Redis of scripts/redis.sh (127.0.0.1, password, no persistence), installed with apt-get and
 * started when needed. WHATSAUTO_TEST_REDIS_HOST/PORT/PASSWORD name another server instead (never stopped here).
 */
export async function startRedis(): Promise<Service<RedisConnection>> {
	const env = process.env;
	if (env.WHATSAUTO_TEST_REDIS_HOST) {
		return {
			connection: { host: env.WHATSAUTO_TEST_REDIS_HOST, port: Number(env.WHATSAUTO_TEST_REDIS_PORT ?? 6379), password: env.WHATSAUTO_TEST_REDIS_PASSWORD ?? '' },
			startedHere: false,
			stop: async () => undefined,
		};
	}
	return await startService('redis.sh', 'WHATSAUTO_TEST_REDIS_', (v) => {
		if (!v.HOST || !v.PORT) throw new Error('scripts/redis.sh wrote no WHATSAUTO_TEST_REDIS_HOST/PORT');
		return { host: v.HOST, port: Number(v.PORT), password: v.PASSWORD ?? '' };
	});
}

/**
 * The throwaway PostgreSQL of scripts/postgres.sh, installed with apt-get and started when needed.
 * WHATSAUTO_TEST_PG_HOST/PORT/USER/PASSWORD/DATABASE name another server instead (never stopped here); its user
 * needs CREATEDB for startQueueMode.
 */
export async function startPostgres(): Promise<Service<PostgresConnection>> {
	const toConnection = (v: Record<string, string | undefined>): PostgresConnection => {
		for (const name of ['HOST', 'PORT', 'USER', 'PASSWORD', 'DATABASE']) if (!v[name]) throw new Error(`WHATSAUTO_TEST_PG_${name} missing`);
		return { host: v.HOST!, port: Number(v.PORT), user: v.USER!, password: v.PASSWORD!, database: v.DATABASE! };
	};
	const env = process.env;
	if (env.WHATSAUTO_TEST_PG_HOST) {
		return {
			connection: toConnection({
				HOST: env.WHATSAUTO_TEST_PG_HOST,
				PORT: env.WHATSAUTO_TEST_PG_PORT,
				USER: env.WHATSAUTO_TEST_PG_USER,
				PASSWORD: env.WHATSAUTO_TEST_PG_PASSWORD,
				DATABASE: env.WHATSAUTO_TEST_PG_DATABASE,
			}),
			startedHere: false,
			stop: async () => undefined,
		};
	}
	return await startService('postgres.sh', 'WHATSAUTO_TEST_PG_', toConnection);
}
