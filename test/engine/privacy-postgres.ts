/**
 * A real PostgreSQL for the privacy engine tests, the way test/store/postgres.test.ts gets one: the server
 * named by WHATSAUTO_TEST_PG_* when set, otherwise the throwaway one scripts/postgres.sh installs and
 * starts (stopped again at the end only if this file started it). No Postgres means failure, never a skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from 'pg';

import { quoteIdent } from '../../nodes/shared/store/postgres';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'postgres.sh');
export const PG_START_TIMEOUT_MS = 300_000;

export interface PostgresServer {
	base: { host: string; port: number; user: string; password: string; database: string };
	admin: Client;
	/** A schema name unique to this run (dropped by `stop`). */
	schema(label: string): string;
	stop(): Promise<void>;
}

function readEnvFile(path: string): Record<string, string> {
	const values: Record<string, string> = {};
	for (const line of readFileSync(path, 'utf8').split('\n')) {
		const match = /^(WHATSAUTO_TEST_PG_[A-Z]+)=(.*)$/.exec(line.trim());
		if (match) values[match[1]] = match[2];
	}
	return values;
}

export async function startPostgres(): Promise<PostgresServer> {
	let env: Record<string, string | undefined> = process.env;
	let startedHere = false;
	if (!process.env.WHATSAUTO_TEST_PG_HOST) {
		const running = spawnSync('bash', [SCRIPT, 'status'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
		let out: string;
		try {
			out = execFileSync('bash', [SCRIPT], { encoding: 'utf8', timeout: PG_START_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
		} catch (error) {
			const e = error as { stderr?: string; message: string };
			throw new Error(`could not start PostgreSQL with scripts/postgres.sh: ${e.stderr?.trim() || e.message}`);
		}
		startedHere = !running;
		env = readEnvFile(out.trim().split('\n').pop() ?? '');
	}
	for (const name of ['HOST', 'PORT', 'USER', 'PASSWORD', 'DATABASE']) {
		if (!env[`WHATSAUTO_TEST_PG_${name}`]) throw new Error(`WHATSAUTO_TEST_PG_${name} missing`);
	}
	const base = {
		host: env.WHATSAUTO_TEST_PG_HOST!,
		port: Number(env.WHATSAUTO_TEST_PG_PORT),
		user: env.WHATSAUTO_TEST_PG_USER!,
		password: env.WHATSAUTO_TEST_PG_PASSWORD!,
		database: env.WHATSAUTO_TEST_PG_DATABASE!,
	};
	const admin = new Client({ ...base, connectionTimeoutMillis: 10_000 });
	await admin.connect();
	const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
	const schemas: string[] = [];
	return {
		base,
		admin,
		schema(label) {
			const name = `whatsauto_privacy_${runId}_${label}`;
			schemas.push(name);
			return name;
		},
		async stop() {
			try {
				for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
				await admin.end();
			} finally {
				if (startedHere) execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore', timeout: 90_000 });
			}
		},
	};
}
