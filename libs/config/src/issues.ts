// Collects what validation finds, each finding tied to a field path. Errors
// reject a resource; warnings are reported but the resource is accepted.
import type { FieldError } from '@mesh/contracts';
import { formatPath, type PathSegment } from './paths.ts';

export interface ValidationResult {
  errors: FieldError[];
  warnings: FieldError[];
}

export class Reporter {
  readonly segments: readonly PathSegment[];
  readonly result: ValidationResult;

  constructor(segments: readonly PathSegment[] = [], result: ValidationResult = { errors: [], warnings: [] }) {
    this.segments = segments;
    this.result = result;
  }

  /** A reporter for a field below this one; findings go to the same result. */
  at(...segments: PathSegment[]): Reporter {
    return new Reporter([...this.segments, ...segments], this.result);
  }

  get path(): string {
    return formatPath(this.segments);
  }

  error(message: string): void {
    this.result.errors.push({ path: this.path, message });
  }

  warn(message: string): void {
    this.result.warnings.push({ path: this.path, message });
  }

  /** Reports `message` as an error when it is a string (the convention of the check* helpers). */
  check(problem: string | undefined): boolean {
    if (problem === undefined) return true;
    this.error(problem);
    return false;
  }

  get errorCount(): number {
    return this.result.errors.length;
  }
}
