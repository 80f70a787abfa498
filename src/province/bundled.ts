import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../paths';
import { parseProvinceFile, type ProvinceFile } from './province-file';

export async function readProvinceFile(file: string): Promise<ProvinceFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read province file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseProvinceFile(json, file);
}

/** The province file shipped in provinces/ for a province code, or null. */
export async function bundledProvinceFile(code: string): Promise<string | null> {
  const dir = path.join(projectRoot(), 'provinces');
  const names = await fs.readdir(dir);
  const name = names.find((n) => n.startsWith(`${code}-`) && n.endsWith('.json'));
  return name ? path.join(dir, name) : null;
}

