import { loadCertificateFile } from '../pki/index.js';
import { logger } from '../util/log.js';

const log = logger('trust');

/** Trust anchors and intermediates from the config's certificate files. */
export interface TrustStore {
  anchors: Buffer[];
  intermediates: Buffer[];
  /** Roots of the time-stamping authorities whose time-stamps are trusted (config `timestamp.trustAnchors`). */
  tsaAnchors: Buffer[];
  /** Files that could not be read, with the reason, for 环境检测. */
  problems: { file: string; errorZh: string }[];
}

/** Loads every configured certificate file; a broken file is reported, not fatal. */
export async function loadTrustStore(anchorFiles: string[], intermediateFiles: string[], tsaAnchorFiles: string[] = []): Promise<TrustStore> {
  const store: TrustStore = { anchors: [], intermediates: [], tsaAnchors: [], problems: [] };
  const load = async (files: string[], into: Buffer[]): Promise<void> => {
    for (const file of files) {
      try {
        into.push(...(await loadCertificateFile(file)));
      } catch (error) {
        log.warn('certificate file unreadable', { file, error: (error as Error).message });
        store.problems.push({ file, errorZh: `证书文件无法读取或格式不正确：${file}` });
      }
    }
  };
  await load(anchorFiles, store.anchors);
  await load(intermediateFiles, store.intermediates);
  await load(tsaAnchorFiles, store.tsaAnchors);
  return store;
}
