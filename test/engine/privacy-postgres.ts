/**
 * A real PostgreSQL for the privacy engine tests, from devkit/n8n/services.ts as test/store/postgres.test.ts gets
 * one: the server named by WHATSAUTO_TEST_PG_* when set, otherwise the throwaway one scripts/postgres.sh installs
 * and starts (stopped again at the end only if this file started it). No Postgres means failure, never a skip.
 * Adds an admin connection and schemas of this run's own, dropped by `stop`.
 */
import { randomBytes } from 'node:crypto';

import { Client } from 'pg';

import { quoteIdent } from '../../nodes/shared/store/postgres';
import { startPostgres as startPostgresServer } from '../../devkit/n8n/services';

export const PG_START_TIMEOUT_MS = 300_000;

export interface PostgresServer {
	base: { host: string; port: number; user: string; password: string; database: string };
	admin: Client;
	/** A schema name unique to this run (dropped by `stop`). */
	schema(label: string): string;
	stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
	const server = await startPostgresServer();
	const base = server.connection;
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
				await server.stop();
			}
		},
	};
}
