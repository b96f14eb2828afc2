// Reading a bundle directory into the Map the pure core takes (Node only: the browser page
// reads the files the user chose or dropped).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` by `/`-separated relative path. */
export function readBundle(dir) {
  const files = new Map();
  const walk = (rel) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else files.set(path, new Uint8Array(readFileSync(join(dir, path))));
    }
  };
  walk('');
  return files;
}

