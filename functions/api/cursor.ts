// Opaque keyset cursors: base64url of a small JSON object. Decoding validates the shape, so a
// forged or foreign cursor is a 422, never a database error.
import type * as z from 'zod';
import { problem } from '../_shared/problems.ts';

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(value: string): string {
  const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function encodeCursor(value: Record<string, unknown>): string {
  return toBase64Url(JSON.stringify(value));
}

export function decodeCursor<S extends z.ZodType>(cursor: string | undefined, schema: S): z.output<S> | null {
  if (cursor === undefined) return null;
  try {
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw new Error('shape');
    const result = schema.safeParse(JSON.parse(fromBase64Url(cursor)));
    if (result.success) return result.data;
  } catch {
    // falls through to the 422
  }
  throw problem.validation([{ path: 'cursor', message: 'is not a cursor of this list (pass back nextCursor unchanged)' }]);
}
