// `galley validate FILE...`: istioctl-validate-like offline check. Prints
// `file:line Kind ns/name: spec.path: message` per problem (warnings marked
// `warning:`), then a summary; exit status 1 when anything is invalid. The
// same rules as the running galley, duplicates across files included, plus
// what this mesh accepts but does not implement (@mesh/config's
// supportFindings, the same findings pilot reports): security configuration
// that would not be enforced is an error.
import { readFile, stat } from 'node:fs/promises';
import { analyzeResources, fieldLine, loadResources, supportFindings, type ParsedResource } from '@mesh/config';
import { listConfigFiles } from './directory-source.ts';
import { reconcile } from './reconcile.ts';
import type { OriginContent } from './source.ts';

export interface ValidateCommandOptions {
  strict: boolean;
  defaultNamespace: string;
  domainSuffix: string;
  /** Reads standard input for the path `-`. */
  readStdin?: () => Promise<string>;
}

interface Diagnostic {
  file: string;
  line: number;
  text: string;
  error: boolean;
}

async function expand(paths: string[]): Promise<{ files: string[]; problems: Diagnostic[] }> {
  const files: string[] = [];
  const problems: Diagnostic[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    try {
      if ((await stat(p)).isDirectory()) files.push(...(await listConfigFiles(p)));
      else files.push(p);
    } catch (err) {
      problems.push({ file: p, line: 0, text: `${p}: cannot read: ${(err as Error).message}`, error: true });
    }
  }
  return { files, problems };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs the check; returns the exit status. `print` gets each output line. */
export async function runValidate(paths: string[], options: ValidateCommandOptions, print: (line: string) => void): Promise<number> {
  const { files, problems: diagnostics } = await expand(paths);
  const origins: OriginContent[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? await (options.readStdin ?? readStdin)() : await readFile(file, 'utf8');
    } catch (err) {
      diagnostics.push({ file, line: 0, text: `${file}: cannot read: ${(err as Error).message}`, error: true });
      continue;
    }
    origins.push({ origin: file, ...loadResources(text, { source: file, defaultNamespace: options.defaultNamespace, unknownFields: options.strict ? 'error' : 'warn' }) });
  }

  const result = reconcile({ origins, takenAt: Date.now() });
  const parsedById = new Map<string, ParsedResource>();
  for (const o of origins) {
    for (const e of o.errors) diagnostics.push({ file: o.origin, line: e.location.line, text: `${o.origin}:${e.location.line}: ${e.message}`, error: true });
    for (const r of [...o.accepted, ...o.rejected]) {
      parsedById.set(`${o.origin}|${r.id}`, r.parsed);
      for (const w of r.warnings) {
        const line = fieldLine(r.parsed, w.path);
        diagnostics.push({ file: o.origin, line, text: `${o.origin}:${line} ${r.id}: ${w.path}: warning: ${w.message}`, error: false });
      }
    }
  }
  for (const r of result.rejections) {
    r.errors.forEach((e, i) => {
      diagnostics.push({ file: r.origin, line: r.errorLines[i], text: `${r.origin}:${r.errorLines[i]} ${r.id}: ${e.path}: ${e.message}`, error: true });
    });
  }
  const findings = analyzeResources([...result.desired.values()].map((e) => e.resource as never), { domainSuffix: options.domainSuffix });
  for (const f of findings) {
    const parsed = parsedById.get(`${f.source}|${f.resource}`);
    const line = parsed ? fieldLine(parsed, f.path) : 0;
    diagnostics.push({ file: f.source ?? '', line, text: `${f.source}:${line} ${f.resource}: ${f.path}: warning: ${f.message}`, error: false });
  }
  let unsupported = 0;
  for (const entry of result.desired.values()) {
    for (const f of supportFindings(entry.resource)) {
      unsupported++;
      const parsed = parsedById.get(`${entry.origin}|${entry.id}`);
      const line = parsed ? fieldLine(parsed, f.path) : entry.line;
      const error = f.severity === 'error';
      // A warning here is a field the mesh takes but does not act on: said as such, whatever the finding's own words.
      diagnostics.push({ file: entry.origin, line, text: `${entry.origin}:${line} ${f.resource}: ${f.path}: ${error ? '' : 'warning: accepted but not enforced: '}${f.message}`, error });
    }
  }

  diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  for (const d of diagnostics) print(d.text);

  const invalid = result.rejections.length;
  const errors = diagnostics.filter((d) => d.error).length;
  const warnings = diagnostics.length - errors;
  const ignored = origins.reduce((n, o) => n + o.ignored.length, 0);
  print(
    `${origins.length} file${origins.length === 1 ? '' : 's'}: ${result.desired.size} valid, ${invalid} invalid` +
      `${ignored ? `, ${ignored} non-Istio document${ignored === 1 ? '' : 's'} ignored` : ''}` +
      `${errors ? `; ${errors} error${errors === 1 ? '' : 's'}` : ''}${warnings ? `; ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}` +
      `${unsupported ? ` (${unsupported} about config this mesh does not implement)` : ''}`,
  );
  return errors ? 1 : 0;
}
