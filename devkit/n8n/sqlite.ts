import { spawnSync } from 'node:child_process';

export type Row = Record<string, unknown>;

/** The tiny slice of a SQLite connection the harness needs. */
export interface Db {
	all(sql: string, ...params: Array<string | number | null>): Row[];
	run(sql: string, ...params: Array<string | number | null>): void;
	close(): void;
}

type SqliteModule = typeof import('node:sqlite');

/**
 * node:sqlite, fetched with process.getBuiltinModule so that jest's module resolver (which does not
 * know `node:sqlite`) is bypassed. Undefined on Node < 22.13.
 */
function sqliteModule(): SqliteModule | undefined {
	const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
	try {
		return get?.('node:sqlite') as SqliteModule | undefined;
	} catch {
		return undefined;
	}
}

/**
 * Opens n8n's SQLite database. In-process with node:sqlite when the current Node has it, otherwise
 * every statement runs in a short-lived child of `fallbackNode` (a Node >= 24 binary), so the
 * harness also works when jest itself runs on an older Node.
 * Read-only connections never block n8n (the database is in WAL mode).
 */
export function openDb(path: string, opts: { readOnly: boolean; fallbackNode: string }): Db {
	const sqlite = sqliteModule();
	if (sqlite) {
		const db = new sqlite.DatabaseSync(path, { readOnly: opts.readOnly, timeout: 5000 });
		return {
			all: (sql, ...params) => db.prepare(sql).all(...params) as Row[],
			run: (sql, ...params) => {
				db.prepare(sql).run(...params);
			},
			close: () => db.close(),
		};
	}
	const exec = (kind: 'all' | 'run', sql: string, params: unknown[]): Row[] => {
		const script = `
const { DatabaseSync } = require('node:sqlite');
const [path, readOnly, kind, sql, params] = JSON.parse(process.argv[1]);
const db = new DatabaseSync(path, { readOnly, timeout: 5000 });
const st = db.prepare(sql);
const out = kind === 'all' ? st.all(...params) : (st.run(...params), []);
db.close();
process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));`;
		const res = spawnSync(
			opts.fallbackNode,
			['--no-warnings', '-e', script, JSON.stringify([path, opts.readOnly, kind, sql, params])],
			{ encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 30_000 },
		);
		if (res.status !== 0) throw new Error(`sqlite (${opts.fallbackNode}) failed: ${res.stderr || res.error}`);
		return JSON.parse(res.stdout) as Row[];
	};
	return {
		all: (sql, ...params) => exec('all', sql, params),
		run: (sql, ...params) => {
			exec('run', sql, params);
		},
		close: () => undefined,
	};
}
