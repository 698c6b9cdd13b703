// 【操作指南】 of the reference mall, with 【工具下载】 (the 互认助手 installers the build produces).
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** 【操作指南】: the steps of the manual and 【工具下载】, the 互认助手 installers. */
/** @param {HTMLElement} main @param {(method: string, path: string) => Promise<any>} api */
export async function renderGuide(main, api) {
  const { version, installers } = await api('GET', '/api/downloads');
  const size = (n) => (n ? `${(n / 1024 / 1024).toFixed(1)} MB` : '');
  main.innerHTML = `<h2>操作指南</h2>
    <div class="card"><h3>网上签章步骤</h3><ol>
      <li>在下方【工具下载】下载并安装“互认助手”，插入 CA 锁（USB Key）。</li>
      <li>打开互认助手，点击【环境检测】，按提示输入 CA 锁 PIN 码，检测通过后保持互认助手运行。</li>
      <li>加盖个人签章前，在【首页】使用个人CA【绑定个人证书】（账号与个人CA一对一绑定）。</li>
      <li>在【合同管理】中打开合同，点击【签章】加盖公章，点击【个人签章】加盖个人签章，在互认助手窗口中输入 PIN 码。</li>
    </ol></div>
    <div class="card" id="downloads"><h3>工具下载</h3><p class="hint">互认助手 ${esc(version)} 版。安装后桌面出现“互认助手”图标；如商城页面提示未检测到互认助手，请先双击该图标启动。</p>
      <table><tr><th>适用系统</th><th>安装包</th><th>说明</th></tr>${installers.map((i) => `<tr><td>${esc(i.platformZh)}</td>
        <td>${i.available ? `<a href="${esc(i.url)}" download>${esc(i.file)}</a> <span class="hint">${esc(size(i.size))}</span>` : `${esc(i.file)} <span class="hint">（暂未提供下载，请联系商城客服）</span>`}</td><td class="hint">${esc(i.noteZh)}</td></tr>`).join('')}</table></div>`;
}

