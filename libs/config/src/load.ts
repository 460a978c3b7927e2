// Parse and validate in one step: what galley does with each file and
// `galley validate` with each argument.
import type { FieldError } from '@mesh/contracts';
import { parseResources, type IgnoredDocument, type ParseError, type ParseOptions } from './parse.ts';
import { resourceId, type IstioResource, type ParsedResource, type SourceLocation } from './resource.ts';
import { checkResource, type ValidateOptions } from './validate.ts';

export interface AcceptedResource {
  /** The normalized resource, ready for toConfigResource(). */
  resource: IstioResource;
  /** The resource as parsed, for fieldLine(). */
  parsed: ParsedResource;
  id: string;
  location: SourceLocation;
  warnings: FieldError[];
}

export interface RejectedResource {
  parsed: ParsedResource;
  id: string;
  location: SourceLocation;
  errors: FieldError[];
  warnings: FieldError[];
}

export interface LoadResult {
  accepted: AcceptedResource[];
  rejected: RejectedResource[];
  /** Documents that could not be read as a resource at all. */
  errors: ParseError[];
  ignored: IgnoredDocument[];
}

export function loadResources(text: string, options: ParseOptions & ValidateOptions = {}): LoadResult {
  const parsed = parseResources(text, options);
  const out: LoadResult = { accepted: [], rejected: [], errors: parsed.errors, ignored: parsed.ignored };
  for (const r of parsed.resources) {
    const check = checkResource(r, options);
    const id = resourceId(r);
    if (check.resource) out.accepted.push({ resource: check.resource, parsed: r, id, location: r.location, warnings: check.warnings });
    else out.rejected.push({ parsed: r, id, location: r.location, errors: check.errors, warnings: check.warnings });
  }
  return out;
}
