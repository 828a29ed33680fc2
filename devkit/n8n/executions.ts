import type { Db, Row } from './sqlite';

export type Json = Record<string, unknown>;

/** Statuses of executions that have ended (n8n's ExecutionStatus). */
export const FINISHED_STATUSES = ['success', 'error', 'crashed', 'canceled'] as const;

interface TaskData {
	startTime?: number;
	executionTime?: number;
	executionStatus?: string;
	data?: { main?: Array<Array<{ json?: Json }> | null> };
	error?: { message?: string; description?: string };
}

interface RunExecutionData {
	resultData?: {
		runData?: Record<string, TaskData[]>;
		lastNodeExecuted?: string;
		error?: { message?: string; description?: string };
	};
}

/** One n8n execution, as read back from n8n's database. */
export interface Execution {
	id: string;
	workflowId: string;
	/** n8n's ExecutionStatus: success | error | crashed | canceled (| running | waiting | new with includeUnfinished). */
	status: string;
	/** webhook | trigger | manual | ... */
	mode: string;
	finished: boolean;
	startedAt?: Date;
	stoppedAt?: Date;
	/** node name -> the `json` of every item the node emitted (all runs, all main outputs, in order). */
	items: Record<string, Json[]>;
	/** node name -> [run][outputIndex] -> item json; use this for multi-output nodes (IF, Switch). */
	outputs: Record<string, Json[][][]>;
	/** node name -> error message, for nodes that failed. */
	nodeErrors: Record<string, string>;
	/** The workflow-level error message, if the execution failed. */
	error?: string;
	lastNodeExecuted?: string;
	/** Names of the nodes that ran, in start order. */
	executedNodes: string[];
	/** The whole deserialized IRunExecutionData, for anything the fields above do not cover. */
	data: RunExecutionData;
}

export interface ExecutionQuery {
	workflowId?: string;
	/** Also return executions that have not ended (running, waiting, new). Default false. */
	includeUnfinished?: boolean;
	/** Only executions with an id greater than this (n8n ids are increasing integers). */
	afterId?: string | number;
}

function sqliteDate(v: unknown): Date | undefined {
	if (typeof v !== 'string' || !v) return undefined;
	// n8n stores UTC as 'YYYY-MM-DD HH:MM:SS.mmm'
	return new Date(v.includes('T') ? v : `${v.replace(' ', 'T')}Z`);
}

function toExecution(row: Row, parse: (text: string) => unknown): Execution {
	const data = parse(String(row.data)) as RunExecutionData;
	const runData = data.resultData?.runData ?? {};
	const items: Record<string, Json[]> = {};
	const outputs: Record<string, Json[][][]> = {};
	const nodeErrors: Record<string, string> = {};
	const started: Array<[number, string]> = [];
	for (const [node, runs] of Object.entries(runData)) {
		items[node] = [];
		outputs[node] = [];
		for (const run of runs ?? []) {
			started.push([run.startTime ?? 0, node]);
			const perOutput = (run.data?.main ?? []).map((out) => (out ?? []).map((i) => i.json ?? {}));
			outputs[node].push(perOutput);
			for (const out of perOutput) items[node].push(...out);
			if (run.error) nodeErrors[node] = run.error.message ?? JSON.stringify(run.error);
		}
	}
	started.sort((a, b) => a[0] - b[0]);
	return {
		id: String(row.id),
		workflowId: String(row.workflowId),
		status: String(row.status),
		mode: String(row.mode),
		finished: Boolean(row.finished),
		startedAt: sqliteDate(row.startedAt),
		stoppedAt: sqliteDate(row.stoppedAt),
		items,
		outputs,
		nodeErrors,
		error: data.resultData?.error?.message,
		lastNodeExecuted: data.resultData?.lastNodeExecuted,
		executedNodes: [...new Set(started.map(([, n]) => n))],
		data,
	};
}

/**
 * Executions from n8n's database (execution_entity + execution_data; the run data is stored
 * `flatted`-serialized), oldest first. Soft-deleted ones are skipped; so are ended ones whose data
 * row is not written yet.
 */
export function readExecutions(db: Db, parse: (text: string) => unknown, query: ExecutionQuery = {}): Execution[] {
	const where = ['e.deletedAt IS NULL'];
	const params: Array<string | number> = [];
	if (!query.includeUnfinished) where.push(`e.status IN (${FINISHED_STATUSES.map((s) => `'${s}'`).join(', ')})`);
	if (query.workflowId !== undefined) {
		where.push('e.workflowId = ?');
		params.push(query.workflowId);
	}
	if (query.afterId !== undefined) {
		where.push('e.id > ?');
		params.push(Number(query.afterId));
	}
	const rows = db.all(
		`SELECT e.id, e.workflowId, e.status, e.mode, e.finished, e.startedAt, e.stoppedAt, e.storedAt, d.data
		   FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id
		  WHERE ${where.join(' AND ')} ORDER BY e.id`,
		...params,
	);
	const out: Execution[] = [];
	for (const row of rows) {
		if (row.storedAt && row.storedAt !== 'db') {
			throw new Error(`execution ${String(row.id)} has its data stored in '${String(row.storedAt)}', the harness reads only 'db'`);
		}
		if (row.data === null || row.data === undefined) continue;
		out.push(toExecution(row, parse));
	}
	return out;
}
