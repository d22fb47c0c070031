import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { badRequest } from '../../lib/errors.js';

/** One data file of a NAB-layout directory: key "<category>/<file>.csv" (as in the labels) and its path. */
export interface NabFile {
  readonly key: string;
  readonly path: string;
}

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

/**
 * List the data files of a directory in NAB layout: `<dir>/<category>/<file>.csv`. Only direct
 * subdirectories count as categories and only regular `*.csv` files directly inside them count as data;
 * top-level files, hidden entries, nested folders and other files are ignored. Sorted by key.
 * A missing or unreadable directory is a 400 `bad_nab_dir`.
 */
export async function listNabFiles(dataDir: string): Promise<NabFile[]> {
  const root = await statOrNull(dataDir);
  if (root === null || !root.isDirectory()) {
    throw badRequest('bad_nab_dir', `NAB data directory ${dataDir} does not exist or is not a directory`, {
      dataDir,
    });
  }
  const out: NabFile[] = [];
  const categories = await readdir(dataDir);
  for (const category of categories) {
    if (category.startsWith('.')) continue;
    const categoryPath = join(dataDir, category);
    const catStat = await statOrNull(categoryPath);
    if (catStat === null || !catStat.isDirectory()) continue;
    let entries: string[];
    try {
      entries = await readdir(categoryPath);
    } catch {
      continue;
    }
    for (const name of entries) {
      if (name.startsWith('.') || !name.toLowerCase().endsWith('.csv')) continue;
      const filePath = join(categoryPath, name);
      const fileStat = await statOrNull(filePath);
      if (fileStat === null || !fileStat.isFile()) continue;
      out.push({ key: `${category}/${name}`, path: filePath });
    }
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}
