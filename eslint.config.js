import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.infra/**', '**/dist/**', 'bench/results/**', 'docs/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@ferry/*/src/*'], message: 'import a package by its name, not its files' }] },
      ],
    },
  },
  {
    // Services never import each other: their contract is data on Kafka and the task state.
    files: ['services/capture/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@ferry/sink', '@ferry/coordinator'] }] },
  },
  {
    files: ['services/sink/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@ferry/capture', '@ferry/coordinator'] }] },
  },
);
