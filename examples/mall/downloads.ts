/**
 * 【操作指南】→【工具下载】: the installers of the 互认助手 the build produces
 * (electron-builder.yml: the NSIS `artifactName`, electron-builder's default
 * deb name, the AppImage `artifactName`), served from a folder the mall
 * operator fills with the release files. Only these names are ever served.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Installer {
  file: string;
  platformZh: string;
  noteZh: string;
  /** Whether the file is in the downloads folder. */
  available: boolean;
  size?: number;
}

/** The assistant's version, from the repository's package.json. */
export function assistantVersion(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The installer files of `version`, named as electron-builder.yml makes them. */
export function installerNames(version: string): Array<Omit<Installer, 'available' | 'size'>> {
  return [
    { file: `互认助手-${version}-setup-x64.exe`, platformZh: 'Windows 10 / 11（64 位）', noteZh: '双击运行，按提示安装（需要管理员权限）；安装后桌面出现“互认助手”图标' },
    { file: `ca-assistant_${version}_amd64.deb`, platformZh: '统信 UOS、银河麒麟等国产 Linux（deb 安装包）', noteZh: '双击用软件包安装器安装，或执行 sudo apt install ./文件名' },
    { file: `互认助手-${version}-x86_64.AppImage`, platformZh: '其他 Linux（免安装）', noteZh: '下载后设为可执行再双击运行' },
  ];
}

/** The installers with whether each is in `dir` (no folder: none available). */
export function listInstallers(dir: string | undefined, version = assistantVersion()): Installer[] {
  return installerNames(version).map((i) => {
    const path = dir ? join(dir, i.file) : '';
    const available = path !== '' && existsSync(path) && statSync(path).isFile();
    return { ...i, available, ...(available ? { size: statSync(path).size } : {}) };
  });
}

/** The path of an installer to serve, or undefined when `name` is not one of them or is missing. */
export function installerPath(dir: string | undefined, name: string, version = assistantVersion()): string | undefined {
  if (!dir) return undefined;
  const known = installerNames(version).find((i) => i.file === name);
  if (!known) return undefined;
  const path = join(dir, known.file);
  return existsSync(path) && statSync(path).isFile() ? path : undefined;
}
