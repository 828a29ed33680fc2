/** What every project shares: TypeScript through ts-jest, Node, tests under test/. */
const base = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
	},
};

/** @type {import('jest').Config} */
module.exports = {
	testTimeout: 30000,
	projects: [
		{
			...base,
			displayName: 'engine',
			testMatch: ['<rootDir>/test/engine/**/*.test.ts'],
			// Before each engine test file and its imports: a throw-away N8N_USER_FOLDER (never ~/.n8n), quiet n8n logs.
			setupFiles: ['<rootDir>/test/engine/setup-env.ts'],
		},
		{
			...base,
			testMatch: ['**/*.test.ts'],
			testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/engine/'],
		},
	],
};
