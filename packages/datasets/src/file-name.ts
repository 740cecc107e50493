/** `data/Bitcoin Cash.csv` → `Bitcoin Cash`: the last path segment without its extension. */
export function seriesNameFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  const name = (dot > 0 ? base.slice(0, dot) : base).trim();
  return name || 'series';
}

/** The last segment of a path or file URL. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
