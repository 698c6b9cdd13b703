import { describe, expect, it } from 'vitest';
import { ScriptedUi } from '../../src-agent/ui/scripted-ui.js';

describe('ScriptedUi', () => {
  it('keeps the last 1000 notices, newest last (load tests run it for hours)', () => {
    const ui = new ScriptedUi();
    for (let i = 0; i < 1500; i++) ui.notify({ kind: 'info', textZh: `第 ${i} 条` });
    expect(ui.notices).toHaveLength(1000);
    expect(ui.notices[0]).toMatchObject({ textZh: '第 500 条' });
    expect(ui.notices.at(-1)).toMatchObject({ textZh: '第 1499 条' });
  });

  it('answers PIN dialogs in order, then cancels', async () => {
    const ui = new ScriptedUi().answerPins('1234', 'pin-pad');
    const request = { tokenLabel: 'k', origin: 'https://mall.example', attempt: 1 } as never;
    expect(await ui.askPin(request)).toMatchObject({ kind: 'pin', pin: Buffer.from('1234') });
    expect(await ui.askPin(request)).toEqual({ kind: 'pin-pad' });
    expect(await ui.askPin(request)).toEqual({ kind: 'cancel' });
    expect(ui.pinRequests).toHaveLength(3);
  });
});
