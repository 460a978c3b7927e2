export { checkRegex, toJsRegExp, toJsSubstitution } from './re2.ts';
