// Lint for the whole workspace. The module-boundary rule is what keeps the
// architecture honest: apps import libraries, never other apps; libraries
// never import apps (tags come from each package.json's "nx.tags").
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'libs/xds/src/generated/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // Apps import some libraries lazily to start faster (the proxy loads the Envoy protos only when it talks
          // to pilot); that is not bundle splitting, so a static import elsewhere is fine.
          checkDynamicDependenciesExceptions: ['@mesh/*'],
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // The local-mesh launcher and the end-to-end tests drive apps as processes, never by import.
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
          ],
        },
      ],
      // Apps export nothing, so the rule above cannot resolve an import of one by package name; name them here.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@mesh/galley', '@mesh/pilot', '@mesh/citadel', '@mesh/injector', '@mesh/proxy', '@mesh/galley/*', '@mesh/pilot/*', '@mesh/citadel/*', '@mesh/injector/*', '@mesh/proxy/*'],
              message: 'Apps are deployed as processes and never imported; move the shared code into a library under libs/.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
];
