// The mesh's HTTP endpoints as istioctl reads them: pilot's monitoring port
// (/debug/syncz) and a proxy's admin port (/config_dump, /clusters). An
// unreachable endpoint is an error that says where istioctl looked.

/** An error for the user: printed without a stack, exit status 1. */
export class CliError extends Error {}

export async function getJson(url: string, what: string, timeoutMs = 5_000): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach ${what} at ${url} (${cause})`);
  }
  const body = await res.text();
  if (!res.ok) throw new CliError(`${what} at ${url} answered ${res.status}: ${body.trim().slice(0, 200)}`);
  try {
    return JSON.parse(body);
  } catch {
    throw new CliError(`${what} at ${url} did not answer JSON`);
  }
}
