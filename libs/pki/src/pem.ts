// PEM armor: the text form certificates, requests and keys travel in.

export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Text between blocks is ignored, as openssl does. */
export function pemBlocks(text: string): Array<{ label: string; der: Buffer }> {
  const out: Array<{ label: string; der: Buffer }> = [];
  // Node's base64 decoder skips whitespace itself, so the body is decoded as it stands.
  for (const m of text.matchAll(BLOCK)) out.push({ label: m[1], der: Buffer.from(m[2], 'base64') });
  return out;
}

/** The DER of the single block with `label`; throws naming what was found instead. */
export function fromPem(text: string, label: string, what = label.toLowerCase()): Buffer {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new Error(`${what}: not PEM (no "-----BEGIN ${label}-----" block)`);
  if (blocks.length > 1) throw new Error(`${what}: expected one PEM block, found ${blocks.length}`);
  if (blocks[0].label !== label) throw new Error(`${what}: expected a "${label}" PEM block, found "${blocks[0].label}"`);
  return blocks[0].der;
}

/** Splits a bundle of PEM certificates into one normalised PEM string per certificate. */
export function splitCertificates(text: string): string[] {
  return pemBlocks(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => toPem(b.label, b.der));
}
