// Slugs: lowercase letters and digits separated by single hyphens, at most 64 characters (the
// database's rule). The API derives one from the name when the client gives none.

export const MAX_SLUG_LENGTH = 64;

/** A slug from any text: accents dropped, everything else non-alphanumeric becomes a hyphen. */
export function slugify(text: string, fallback = 'brand'): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, '');
  return slug || fallback;
}

/** `base` with a numeric suffix (`base-2`, `base-3`, …) that still fits the length limit. */
export function slugWithSuffix(base: string, n: number): string {
  if (n <= 1) return base;
  const suffix = `-${n}`;
  return `${base.slice(0, MAX_SLUG_LENGTH - suffix.length).replace(/-+$/g, '')}${suffix}`;
}
