// n8n's community-node rules (eslint-plugin-n8n-nodes-base) at full strength on what ships:
// package.json, nodes/ and credentials/. Tests, the devkit and scripts get TypeScript's recommended rules only.
import tseslint from 'typescript-eslint';
import * as jsoncParser from 'jsonc-eslint-parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

const n8n = { 'n8n-nodes-base': n8nNodesBase };

export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
	{
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
		plugins: n8n,
		rules: n8nNodesBase.configs.community.rules,
	},
	{
		files: ['**/*.ts'],
		extends: [tseslint.configs.recommended],
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
		},
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: n8n,
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// As in n8n's node starter: community credentials link to full documentation URLs.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: n8n,
		rules: n8nNodesBase.configs.nodes.rules,
	},
	{
		files: ['test/**/*.ts', 'devkit/**/*.ts', 'scripts/**/*.ts'],
		rules: {
			'@typescript-eslint/no-explicit-any': 'off',
			'@typescript-eslint/no-non-null-assertion': 'off',
			'@typescript-eslint/no-require-imports': 'off',
		},
	},
);
