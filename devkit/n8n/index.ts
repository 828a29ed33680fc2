/**
 * WhatsAuto n8n harness (for the e2e tests, the npm start sandbox and the bench): a real, pinned n8n 2.x
 * process with community packages installed from `npm pack` tarballs the way n8n installs them.
 * See README.md in this folder.
 */
export { startN8n, type N8n, type N8nTimings, type StartN8nOptions, type WaitOptions } from './n8n';
export { type Execution, type ExecutionQuery, FINISHED_STATUSES } from './executions';
export { packRepo, packDirectory, createDummyPackage, type DummyPackage } from './pack';
export { installCommunityPackage, type InstalledPackage } from './install-package';
export { normalizeWorkflow, chain, n8nId, type WorkflowJson } from './workflows';
export { ensureN8n, n8nDir, n8nVersion, nodeBinary, repoRoot } from './paths';
export { freePort, freePorts } from './ports';
export { setupOwner, login, type OwnerAccount, type RestSession, type RestResponse } from './rest';
export {
	startQueueMode,
	startRedis,
	startPostgres,
	type QueueMode,
	type QueueModeOptions,
	type ExecutionRow as QueueExecutionRow,
	type RedisConnection,
	type PostgresConnection,
	type Service,
} from './queue';
